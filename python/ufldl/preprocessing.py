"""The UFLDL tutorial's preprocessing as scikit-learn transformers: PCA and PCA whitening, ZCA whitening,
and the sparse autoencoder exercise's patch normalisation.

Rows are examples, ``X`` of shape ``(n_samples, n_features)`` (the tutorial's examples are columns, so its
``x * x' / m`` is ``X.T @ X / m`` here). Computed in float64; float32 input gives float32 output.
"""

import numbers

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin,
                          TransformerMixin)
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ufldl._lib.validation import flag, real_scalar

__all__ = ["PCA", "ZCAWhitening", "PatchNormalizer", "remove_patch_mean"]

_TINY = 1e-12  # an eigenvalue below this fraction of the largest one is zero up to rounding


def remove_patch_mean(X):
    """Subtract from each example (row) its own mean, as the tutorial does to every image patch.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        ``X - X.mean(axis=1, keepdims=True)``: float32 for float32 input, float64 otherwise.
    """
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    return _remove_row_means(X).astype(X.dtype, copy=False)


def _remove_row_means(X):  # in float64
    return X - X.mean(axis=1, keepdims=True, dtype=np.float64)


def _check_columns(X, n_columns, what):
    """Check the input of ``inverse_transform``: a finite float array with ``n_columns`` columns."""
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    if X.shape[1] != n_columns:
        raise ValueError(f"X must have {what} = {n_columns} columns; got shape {X.shape}")
    return X


class _Transformer(TransformerMixin, BaseEstimator):
    """Shared by the transformers below: float64 or float32 input, the same dtype out."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _validate(self, X, *, reset):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])


class _CovarianceEigen(_Transformer):
    """Shared by PCA and ZCA: the eigendecomposition of the covariance."""

    def _fit_eigen(self, X):
        """Set ``mean_`` and return the covariance's eigenvalues (descending) and eigenvectors (columns)."""
        flag(self.center, "center")
        X = X.astype(np.float64, copy=False)
        self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1])
        Xc = X - self.mean_
        # Divide by m, not m - 1: the tutorial's sigma = x * x' / m.
        sigma = Xc.T @ Xc / X.shape[0]
        eigenvalues, U = np.linalg.eigh(sigma)
        eigenvalues, U = eigenvalues[::-1], U[:, ::-1]
        # Sigma is positive semi-definite; a negative eigenvalue is rounding error.
        eigenvalues = np.maximum(eigenvalues, 0.0)
        # Eigenvectors are defined up to sign: fix it (largest-magnitude entry > 0) for reproducible results.
        rows = np.abs(U).argmax(axis=0)
        U = U * np.sign(U[rows, np.arange(U.shape[1])])
        return eigenvalues, np.ascontiguousarray(U)

    @staticmethod
    def _check_divisible(eigenvalues, epsilon):
        """Refuse to whiten when some ``eigenvalue + epsilon`` is zero up to rounding."""
        largest = eigenvalues.max(initial=0.0)
        bad = np.flatnonzero(eigenvalues + epsilon <= _TINY * largest)
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"epsilon must make every eigenvalue + epsilon > {_TINY:g} * the largest eigenvalue "
                f"({largest:.3g}) to whiten; got epsilon = {epsilon:g} and eigenvalue {i} = {eigenvalues[i]:.3g} "
                "(the data has no variance in that direction): use epsilon > 0")


class PCA(ClassNamePrefixFeaturesOutMixin, _CovarianceEigen):
    """Principal component analysis and PCA whitening, as in the UFLDL tutorial.

    The covariance is ``Sigma = Xc.T @ Xc / m`` with ``Xc = X - mean_`` and ``m = n_samples``: divided by
    ``m`` as the tutorial's ``sigma = x * x' / m`` (scikit-learn's ``PCA`` divides by ``m - 1``, so its
    ``explained_variance_`` is ``m / (m - 1)`` times this one). ``Sigma``'s eigenvectors ``U`` (from
    ``numpy.linalg.eigh``), sorted by descending eigenvalue, give the rotation ``x_rot = (x - mean_) @ U_k``.

    Parameters
    ----------
    n_components : int, float or None, default=None
        None keeps all components; an int ``k`` in ``[1, n_features]`` keeps ``k``; a float in ``(0, 1]``
        keeps the smallest ``k`` whose eigenvalues retain at least that fraction of the total variance
        (the tutorial's "retain 99% of the variance" is ``0.99``).
    whiten : bool, default=False
        Divide each rotated component by ``sqrt(eigenvalue + epsilon)`` (PCA whitening).
    epsilon : float, default=0.0
        Regulariser added to the eigenvalues when whitening (ignored otherwise); must be >= 0. ``fit``
        refuses to whiten when a kept ``eigenvalue + epsilon`` is below ``1e-12`` times the largest
        eigenvalue, since that would divide by (numerical) zero.
    center : bool, default=True
        Subtract the mean of each feature first; False assumes the data is already zero-mean.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        The kept eigenvectors as rows (the rows of ``U_k.T``); each row's largest-magnitude entry is positive.
    explained_variance_ : ndarray of shape (n_components_,)
        Their eigenvalues: the variance of each rotated component.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        ``explained_variance_`` over the total variance (zeros if the data has no variance).
    eigenvalues_ : ndarray of shape (n_features,)
        All eigenvalues of the covariance, descending.
    n_components_ : int
    mean_ : ndarray of shape (n_features,)
        The feature means (zeros if ``center=False``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    """

    def __init__(self, n_components=None, *, whiten=False, epsilon=0.0, center=True):
        self.n_components = n_components
        self.whiten = whiten
        self.epsilon = epsilon
        self.center = center

    def _n_components(self, eigenvalues):
        """The number of components to keep, from ``n_components`` and the eigenvalues (descending)."""
        n, n_features = self.n_components, eigenvalues.size
        if n is None:
            return n_features
        message = f"n_components must be an int in [1, {n_features}] or a float in (0, 1]; got {n!r}"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Real):
            raise TypeError(message)
        if isinstance(n, numbers.Integral):
            if not 1 <= n <= n_features:
                raise ValueError(message)
            return int(n)
        if not 0 < n <= 1:
            raise ValueError(message)
        # Smallest k with cumsum[k-1] >= n * total, up to a relative 1e-12 for rounding in the sums.
        cumulative = np.cumsum(eigenvalues)
        k = np.searchsorted(cumulative, n * cumulative[-1] * (1 - 1e-12), side="left") + 1
        return int(min(k, n_features))

    def fit(self, X, y=None):
        """Compute the mean, the covariance's eigendecomposition and the number of components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : PCA
        """
        X = self._validate(X, reset=True)
        flag(self.whiten, "whiten")
        epsilon = real_scalar(self.epsilon, "epsilon", low=0.0)
        eigenvalues, U = self._fit_eigen(X)
        k = self._n_components(eigenvalues)
        if self.whiten:
            self._check_divisible(eigenvalues[:k], epsilon)
        total = eigenvalues.sum()
        self.eigenvalues_ = eigenvalues
        self.n_components_ = k
        self.components_ = U[:, :k].T.copy()
        self.explained_variance_ = eigenvalues[:k].copy()
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 else np.zeros(k)
        # The column scale applied after rotating: 1/sqrt(lambda + epsilon) when whitening.
        self._scale = 1 / np.sqrt(self.explained_variance_ + epsilon) if self.whiten else np.ones(k)
        return self

    @property
    def _n_features_out(self):
        return self.n_components_

    def transform(self, X):
        """Rotate onto the principal components (and whiten if ``whiten``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_rot : ndarray of shape (n_samples, n_components_)
            ``(X - mean_) @ components_.T``; if whitening, each column divided by
            ``sqrt(eigenvalue + epsilon)``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Z = (X.astype(np.float64, copy=False) - self.mean_) @ self.components_.T * self._scale
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Map rotated (or whitened) data back to the input space.

        Exact when all components are kept; otherwise the projection onto the kept components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = _check_columns(X, self.n_components_, "n_components_")
        X = (Z.astype(np.float64, copy=False) / self._scale) @ self.components_ + self.mean_
        return X.astype(Z.dtype, copy=False)


class ZCAWhitening(OneToOneFeatureMixin, _CovarianceEigen):
    """ZCA whitening, as in the UFLDL tutorial: ``x_ZCA = U diag(1 / sqrt(lambda + epsilon)) U^T (x - mean)``.

    Of all whitening transforms (those giving identity covariance) ZCA's output is the closest to its
    input, so the whitened data stays in the input's space (whitened pixels remain pixels); its output
    columns keep the input's feature names. The covariance is divided by ``m`` as in :class:`PCA`.

    Parameters
    ----------
    epsilon : float, default=0.1
        Regulariser added to the eigenvalues; must be >= 0. ``epsilon = 0`` gives exactly identity
        covariance (and ``fit`` refuses data whose covariance has an eigenvalue that is zero up to
        rounding, below ``1e-12`` times the largest); ``epsilon > 0`` gives eigenvalues
        ``lambda / (lambda + epsilon)``, damping the low-variance (often noise) directions. The right value
        depends on the data's scale: the default 0.1 is the tutorial's for its 8x8 natural-image patches
        with values roughly in [0, 1].
    center : bool, default=True
        Subtract the mean of each feature first; False assumes the data is already zero-mean.

    Attributes
    ----------
    whitening_ : ndarray of shape (n_features, n_features)
        The symmetric matrix ``U diag(1 / sqrt(lambda + epsilon)) U^T``.
    coloring_ : ndarray of shape (n_features, n_features)
        Its inverse ``U diag(sqrt(lambda + epsilon)) U^T``.
    eigenvalues_ : ndarray of shape (n_features,)
        The covariance's eigenvalues, descending.
    mean_ : ndarray of shape (n_features,)
        The feature means (zeros if ``center=False``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    """

    def __init__(self, epsilon=0.1, *, center=True):
        self.epsilon = epsilon
        self.center = center

    def fit(self, X, y=None):
        """Compute the mean and the whitening and colouring matrices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : ZCAWhitening
        """
        X = self._validate(X, reset=True)
        epsilon = real_scalar(self.epsilon, "epsilon", low=0.0)
        eigenvalues, U = self._fit_eigen(X)
        self._check_divisible(eigenvalues, epsilon)
        root = np.sqrt(eigenvalues + epsilon)
        self.eigenvalues_ = eigenvalues
        # Symmetrise away rounding: transform uses whitening_ for U diag(.) U^T and its transpose alike.
        self.whitening_, self.coloring_ = [(A + A.T) / 2 for A in ((U / root) @ U.T, (U * root) @ U.T)]
        return self

    def transform(self, X):
        """Whiten.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_zca : ndarray of shape (n_samples, n_features)
            ``(X - mean_) @ whitening_``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Z = (X.astype(np.float64, copy=False) - self.mean_) @ self.whitening_
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo the whitening: ``X @ coloring_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = _check_columns(X, self.n_features_in_, "n_features_in_")
        X = Z.astype(np.float64, copy=False) @ self.coloring_ + self.mean_
        return X.astype(Z.dtype, copy=False)


class PatchNormalizer(OneToOneFeatureMixin, _Transformer):
    """The sparse autoencoder exercise's patch normalisation, learned once and reused.

    Each example (row, e.g. an image patch) has its own mean removed; values are then clipped to
    ``+-scale_`` with ``scale_ = clip_std * std``, divided by ``scale_`` (into [-1, 1]) and mapped linearly
    onto ``[low, high]``: the tutorial's ``x * 0.4 + 0.5`` for the defaults, a range that suits sigmoid
    outputs. ``std`` is the standard deviation of all the mean-removed training values, with ``ddof=1``
    as MATLAB's ``std`` that the tutorial used; it is learned in ``fit`` so that other data is scaled
    the same way.

    Parameters
    ----------
    clip_std : float, default=3.0
        Clip at this many standard deviations; must be > 0.
    low, high : float, default=0.1, 0.9
        The output range; need ``low < high``.

    Attributes
    ----------
    scale_ : float
        ``clip_std`` times the standard deviation of the mean-removed training values.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    """

    def __init__(self, clip_std=3.0, low=0.1, high=0.9):
        self.clip_std = clip_std
        self.low = low
        self.high = high

    def fit(self, X, y=None):
        """Learn ``scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : PatchNormalizer
        """
        X = self._validate(X, reset=True)
        clip_std = real_scalar(self.clip_std, "clip_std", low=0.0, low_inclusive=False)
        low = real_scalar(self.low, "low")
        high = real_scalar(self.high, "high")
        if not low < high:
            raise ValueError(f"low must be < high; got low = {low}, high = {high}")
        if X.shape[1] < 2:
            # Removing each example's own mean leaves nothing of a single feature.
            raise ValueError(f"X must have at least 2 features per example; got n_features = {X.shape[1]}")
        std = _remove_row_means(X).std(ddof=1)
        # Relative to the data's magnitude: removing the mean of a constant row can leave rounding error.
        if not std > _TINY * np.abs(X).max():
            raise ValueError("X must vary within its examples: after removing each example's mean, the "
                             f"standard deviation of all values must be > 0; got {std:.3g} (constant rows)")
        self.scale_ = clip_std * float(std)
        return self

    def transform(self, X):
        """Remove each example's mean, clip, scale into [-1, 1] and map onto ``[low, high]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_normalized : ndarray of shape (n_samples, n_features)
            Values in ``[low, high]``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        V = np.clip(_remove_row_means(X), -self.scale_, self.scale_) / self.scale_
        return (self.low + (self.high - self.low) * (V + 1) / 2).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo the map onto ``[low, high]`` and the scaling.

        Each example's mean and the clipped excess are lost, so this gives back the mean-removed, clipped
        data: ``X`` exactly for zero-mean rows with no value beyond ``+-scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Y = _check_columns(X, self.n_features_in_, "n_features_in_")
        V = 2 * (Y.astype(np.float64, copy=False) - self.low) / (self.high - self.low) - 1
        return (V * self.scale_).astype(Y.dtype, copy=False)
