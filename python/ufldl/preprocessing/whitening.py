"""PCA, PCA whitening and ZCA whitening (the UFLDL tutorial's), on one eigendecomposition of the covariance."""

import numbers

from typing import Self
import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from ufldl._lib.types import ArrayLike, Float64Array, FloatArray
from ufldl._lib.validation import flag, real_scalar
from ufldl.preprocessing.base import TINY, Transformer, check_columns

__all__ = ["PCA", "ZCAWhitening", "CovarianceEigen"]


class CovarianceEigen(Transformer):
    """Shared by PCA and ZCA: the eigendecomposition of the covariance."""

    center: bool  # a parameter of both subclasses
    mean_: Float64Array  # set by fit

    def _fit_eigen(self, X: FloatArray) -> tuple[Float64Array, Float64Array]:
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
    def _check_divisible(eigenvalues: Float64Array, epsilon: float) -> None:
        """Refuse to whiten when some ``eigenvalue + epsilon`` is zero up to rounding."""
        largest = eigenvalues.max(initial=0.0)
        bad = np.flatnonzero(eigenvalues + epsilon <= TINY * largest)
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"epsilon must make every eigenvalue + epsilon > {TINY:g} * the largest eigenvalue "
                f"({largest:.3g}) to whiten; got epsilon = {epsilon:g} and eigenvalue {i} = {eigenvalues[i]:.3g} "
                "(the data has no variance in that direction): use epsilon > 0")


class PCA(ClassNamePrefixFeaturesOutMixin, CovarianceEigen):
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
    components_ : ndarray of shape (``n_components_``, n_features)
        The kept eigenvectors as rows (the rows of ``U_k.T``); each row's largest-magnitude entry is positive.
    explained_variance_ : ndarray of shape (``n_components_``,)
        Their eigenvalues: the variance of each rotated component.
    explained_variance_ratio_ : ndarray of shape (``n_components_``,)
        ``explained_variance_`` over the total variance (zeros if the data has no variance).
    eigenvalues_ : ndarray of shape (n_features,)
        All eigenvalues of the covariance, descending.
    n_components_ : int
    mean_ : ndarray of shape (n_features,)
        The feature means (zeros if ``center=False``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.
    """

    # Set by fit.
    eigenvalues_: Float64Array
    n_components_: int
    components_: Float64Array
    explained_variance_: Float64Array
    explained_variance_ratio_: Float64Array
    _scale: Float64Array

    def __init__(self, n_components: int | float | None = None, *, whiten: bool = False, epsilon: float = 0.0,
                 center: bool = True) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.epsilon = epsilon
        self.center = center

    def _n_components(self, eigenvalues: Float64Array) -> int:
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

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Compute the mean, the covariance's eigendecomposition and the number of components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one example per row.
        y : None
            Ignored (a transformer's fit takes no targets).

        Returns
        -------
        self : PCA
            The transformer, fitted.
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
    def _n_features_out(self) -> int:
        return self.n_components_

    def transform(self, X: ArrayLike) -> FloatArray:
        """Rotate onto the principal components (and whiten if ``whiten``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to transform, one example per row.

        Returns
        -------
        X_rot : ndarray of shape (n_samples, ``n_components_``)
            ``(X - mean_) @ components_.T``; if whitening, each column divided by
            ``sqrt(eigenvalue + epsilon)``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Z = (X.astype(np.float64, copy=False) - self.mean_) @ self.components_.T * self._scale
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X: ArrayLike) -> FloatArray:
        """Map rotated (or whitened) data back to the input space.

        Exact when all components are kept; otherwise the projection onto the kept components.

        Parameters
        ----------
        X : array-like of shape (n_samples, ``n_components_``)
            Rotated (or whitened) data, as :meth:`transform` gives.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The data in input space.
        """
        check_is_fitted(self)
        Z = check_columns(X, self.n_components_, "n_components_")
        X = (Z.astype(np.float64, copy=False) / self._scale) @ self.components_ + self.mean_
        return X.astype(Z.dtype, copy=False)


class ZCAWhitening(OneToOneFeatureMixin, CovarianceEigen):
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
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.
    """

    # Set by fit.
    whitening_: Float64Array
    coloring_: Float64Array
    eigenvalues_: Float64Array

    def __init__(self, epsilon: float = 0.1, *, center: bool = True) -> None:
        self.epsilon = epsilon
        self.center = center

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Compute the mean and the whitening and colouring matrices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one example per row.
        y : None
            Ignored (a transformer's fit takes no targets).

        Returns
        -------
        self : ZCAWhitening
            The transformer, fitted.
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

    def transform(self, X: ArrayLike) -> FloatArray:
        """Whiten.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to transform, one example per row.

        Returns
        -------
        X_zca : ndarray of shape (n_samples, n_features)
            ``(X - mean_) @ whitening_``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Z = (X.astype(np.float64, copy=False) - self.mean_) @ self.whitening_
        return Z.astype(X.dtype, copy=False)

    def inverse_transform(self, X: ArrayLike) -> FloatArray:
        """Undo the whitening: ``X @ coloring_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Whitened data, as :meth:`transform` gives.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The data in input space.
        """
        check_is_fitted(self)
        Z = check_columns(X, self.n_features_in_, "n_features_in_")
        X = Z.astype(np.float64, copy=False) @ self.coloring_ + self.mean_
        return X.astype(Z.dtype, copy=False)
