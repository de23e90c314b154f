"""What the transformers of ``ufldl.preprocessing`` share: float64 or float32 in, the same dtype out, and
the checks of their input."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

__all__ = ["TINY", "Transformer", "check_columns"]

TINY = 1e-12  # a value below this fraction of the largest one is zero up to rounding


def check_columns(X, n_columns, what):
    """Check the input of ``inverse_transform``: a finite float array with ``n_columns`` columns."""
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    if X.shape[1] != n_columns:
        raise ValueError(f"X must have {what} = {n_columns} columns; got shape {X.shape}")
    return X


class Transformer(TransformerMixin, BaseEstimator):
    """The base of ``ufldl.preprocessing``'s transformers: float64 or float32 input, the same dtype out."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _validate(self, X, *, reset):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
