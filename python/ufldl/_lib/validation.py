"""Checks on user input shared by the public classes.

Every message names the argument, says what was expected and what came. Arrays are converted to the
network's dtype and to C order here (a copy only when needed), so the compiled core only ever sees exactly
the layout it assumes.
"""

import math
import numbers
from typing import Any

import numpy as np

from ufldl import _core  # (ufldl/__init__ has loaded its OpenBLAS before any submodule)
from ufldl._lib.types import FloatArray


def real_scalar(value: object, name: str, *, low: float | None = None, low_inclusive: bool = True,
                high: float | None = None, high_inclusive: bool = True) -> float:
    """Return ``value`` as a float after checking that it is a finite real number in the given range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise ValueError(f"{name} must be {'>=' if low_inclusive else '>'} {low}; got {value}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        raise ValueError(f"{name} must be {'<=' if high_inclusive else '<'} {high}; got {value}")
    return value


def numeric_array(value: Any, name: str) -> np.ndarray[Any, Any]:
    """``np.asarray(value)`` after refusing complex, object, string and other non-numeric input."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be a real numeric array; got {type(value).__name__}: {exc}") from exc
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; got dtype {arr.dtype}")
    return arr


def as_matrix(value: Any, name: str, n_columns: int, dtype: Any) -> FloatArray:
    """A C-contiguous (m, n_columns) array of ``dtype`` with m >= 1 (converted from any real numeric input)."""
    arr = numeric_array(value, name)
    if arr.ndim != 2:
        hint = " (for a single example use x.reshape(1, -1))" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D with shape (m, {n_columns}); got shape {arr.shape}{hint}")
    if arr.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, shape (m, {n_columns}); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one example (row); got shape {arr.shape}")
    return convert(arr, name, dtype)


def convert(arr: np.ndarray[Any, Any], name: str, dtype: Any) -> np.ndarray[Any, Any]:
    """``arr`` as a C-contiguous, aligned array of ``dtype`` (a copy only when needed).

    Finite values too large for ``dtype`` (float64 values beyond float32's range) raise a ValueError rather
    than turning silently into inf. A misaligned array (an unpickled out-of-band buffer can be one: theta or a
    chunk on a Dask worker) is copied, since the core's loads from it would be undefined behaviour.
    """
    if arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.aligned:
        return arr
    with np.errstate(over="ignore", invalid="ignore"):
        out = aligned(np.ascontiguousarray(arr, dtype=dtype))
    if arr.dtype.kind == "f" and arr.dtype.itemsize > np.dtype(dtype).itemsize:
        overflow = np.isinf(out) & np.isfinite(arr)
        if overflow.any():
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(overflow)), arr.shape))
            raise ValueError(
                f"{name} has values outside the {np.dtype(dtype)} range; got {arr[where]} at index {where}"
            )
    return out


def aligned(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``arr`` itself when its data is aligned to its element size, otherwise an aligned copy."""
    return arr if arr.flags.aligned else arr.copy()


def first_non_finite(arr: np.ndarray[Any, Any]) -> tuple[int, ...] | None:
    """Index of the first NaN/inf in ``arr`` as a tuple, or None if all values are finite."""
    if arr.dtype.kind in "iub":
        return None
    if _core.all_finite(arr):  # one pass without a temporary for contiguous float arrays; None otherwise
        return None
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))


def require_finite(arr: np.ndarray[Any, Any], name: str) -> None:
    """Raise ValueError naming ``name`` and the first bad position if ``arr`` holds NaN or inf."""
    where = first_non_finite(arr)
    if where is not None:
        count = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} must be finite; got {count} NaN or inf value(s), the first {arr[where]} at index {where}"
        )


def integer(value: Any, name: str, low: int = 1) -> int:
    """Return ``value`` as an int after checking that it is an integer (not a bool) >= ``low``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {low}; got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value}")
    return int(value)


def patience(value: Any, name: str = "n_iter_no_change") -> int | float:
    """Return ``value`` as an int >= 1, or ``math.inf`` (never stop for want of progress: scikit-learn's MLP
    accepts ``n_iter_no_change=np.inf``)."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and value == math.inf:
        return math.inf
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1 or numpy.inf; got {type(value).__name__} {value!r}")
    return integer(value, name, 1)


def flag(value: Any, name: str) -> bool:
    """Return ``value`` as a bool after checking that it is True or False (a NumPy bool included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


def random_generator(value: Any, name: str = "random_state") -> np.random.Generator:
    """A ``numpy.random.Generator`` from scikit-learn's conventions for a random state: None (fresh entropy),
    an int >= 0 (a seed), a ``numpy.random.RandomState`` (a seed is drawn from it) or a Generator (used as
    it is, so that successive calls continue its stream)."""
    if value is None:
        return np.random.default_rng()
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, np.random.RandomState):
        return np.random.default_rng(value.randint(np.iinfo(np.int32).max))
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) and value >= 0:  # type: ignore[operator]
        return np.random.default_rng(int(value))
    raise TypeError(f"{name} must be None, an int >= 0, a numpy.random.Generator or a numpy.random.RandomState; got "
                    f"{type(value).__name__} {value!r}")
