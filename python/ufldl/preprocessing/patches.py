"""The sparse autoencoder exercise's patch normalisation, and the removal of each patch's own mean."""

from typing import Self
import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ufldl._lib.types import ArrayLike, Float64Array, FloatArray
from ufldl._lib.validation import real_scalar
from ufldl.preprocessing.base import TINY, Transformer, check_columns

__all__ = ["PatchNormalizer", "remove_patch_mean"]


def remove_patch_mean(X: ArrayLike) -> FloatArray:
    """Subtract from each example (row) its own mean, as the tutorial does to every image patch.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Patches, one flattened patch per row.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        ``X - X.mean(axis=1, keepdims=True)``: float32 for float32 input, float64 otherwise.
    """
    checked: FloatArray = check_array(X, dtype=[np.float64, np.float32], input_name="X")  # (scikit-learn: untyped)
    return _remove_row_means(checked).astype(checked.dtype, copy=False)


def _remove_row_means(X: FloatArray) -> Float64Array:  # in float64
    row_means: Float64Array = X.mean(axis=1, keepdims=True, dtype=np.float64)  # (NumPy types mean(dtype=) as Any)
    return X - row_means


class PatchNormalizer(OneToOneFeatureMixin, Transformer):
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
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.
    """

    scale_: float  # set by fit

    def __init__(self, clip_std: float = 3.0, low: float = 0.1, high: float = 0.9) -> None:
        self.clip_std = clip_std
        self.low = low
        self.high = high

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Learn ``scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data, one example per row.
        y : None
            Ignored (a transformer's fit takes no targets).

        Returns
        -------
        self : PatchNormalizer
            The transformer, fitted.
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
        if not std > TINY * np.abs(X).max():
            raise ValueError("X must vary within its examples: after removing each example's mean, the "
                             f"standard deviation of all values must be > 0; got {std:.3g} (constant rows)")
        self.scale_ = clip_std * float(std)
        return self

    def transform(self, X: ArrayLike) -> FloatArray:
        """Remove each example's mean, clip, scale into [-1, 1] and map onto ``[low, high]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to transform, one example per row.

        Returns
        -------
        X_normalized : ndarray of shape (n_samples, n_features)
            Values in ``[low, high]``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        V = np.clip(_remove_row_means(X), -self.scale_, self.scale_) / self.scale_
        return (self.low + (self.high - self.low) * (V + 1) / 2).astype(X.dtype, copy=False)

    def inverse_transform(self, X: ArrayLike) -> FloatArray:
        """Undo the map onto ``[low, high]`` and the scaling.

        Each example's mean and the clipped excess are lost, so this gives back the mean-removed, clipped
        data: ``X`` exactly for zero-mean rows with no value beyond ``+-scale_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Normalised data, as :meth:`transform` gives.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The mean-removed, clipped data.
        """
        check_is_fitted(self)
        Y = check_columns(X, self.n_features_in_, "n_features_in_")
        V = 2 * (Y.astype(np.float64, copy=False) - self.low) / (self.high - self.low) - 1
        return (V * self.scale_).astype(Y.dtype, copy=False)
