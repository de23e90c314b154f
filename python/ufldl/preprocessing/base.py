"""What the transformers of ``ufldl.preprocessing`` share: float64 or float32 in, the same dtype out, and
the checks of their input."""

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from ufldl._lib.types import ArrayLike, FloatArray

__all__ = ["TINY", "Transformer", "check_columns"]

TINY = 1e-12  # a value below this fraction of the largest one is zero up to rounding


def check_columns(X: ArrayLike, n_columns: int, what: str) -> FloatArray:
    """Check the input of ``inverse_transform``: a finite float array with ``n_columns`` columns."""
    checked: FloatArray = check_array(X, dtype=[np.float64, np.float32], input_name="X")  # (scikit-learn: untyped)
    if checked.shape[1] != n_columns:
        raise ValueError(f"X must have {what} = {n_columns} columns; got shape {checked.shape}")
    return checked


class Transformer(TransformerMixin, BaseEstimator):
    """The base of ``ufldl.preprocessing``'s transformers: float64 or float32 input, the same dtype out."""

    # Set by ``validate_data`` in fit (scikit-learn's convention), read by ``inverse_transform``.
    n_features_in_: int

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _validate(self, X: ArrayLike, *, reset: bool) -> FloatArray:
        validated: FloatArray = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        return validated
