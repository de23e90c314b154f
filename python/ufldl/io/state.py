"""Checking what a kind's ``to_state`` returns: JSON-able metadata and plain arrays, before anything is
written."""

import math
import numbers
from typing import Any

import numpy as np

from ufldl.io.spec import ARRAY_KINDS, MAX_META_DEPTH, NAME_PATTERN, SAVEZ_KEYWORDS


def _to_json_value(value: object, where: str, depth: int = 1) -> Any:
    """``value`` as plain JSON types (lists, dicts with str keys, finite floats), or a TypeError/ValueError.

    ``depth`` is the nesting level of ``value`` (meta itself is 1); lists and dicts nest at most
    ``MAX_META_DEPTH`` levels, so that ``load`` (which refuses deeper headers) reads back what was saved.
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, str):
        return str(value)  # numpy.str_ too
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(
                f"{where} is {value}: JSON has no NaN or infinity; store non-finite values in an array"
            )
        return value
    if isinstance(value, (list, tuple, dict)) and depth > MAX_META_DEPTH:
        raise ValueError(
            f"{where} nests lists and dicts {depth} levels deep (meta being level 1); at most "
            f"{MAX_META_DEPTH} levels are stored"
        )
    if isinstance(value, (list, tuple)):
        return [_to_json_value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; keys must be str")
            out[key] = _to_json_value(item, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(value, np.ndarray):
        raise TypeError(f"{where} is an ndarray of shape {value.shape}; put arrays in the arrays dict")
    raise TypeError(
        f"{where} has type {type(value).__name__}; metadata holds None, bool, int, float, str, "
        "and lists and dicts of them"
    )


def _check_array_name(name: object, where: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{where}: array names must be str; got {type(name).__name__} {name!r}")
    if not NAME_PATTERN.fullmatch(name) or name.startswith("__") or name in SAVEZ_KEYWORDS:
        raise ValueError(
            f"{where}: array name {name!r} is not allowed: names match [A-Za-z_][A-Za-z0-9_.-]*, do not "
            f"start with '__' and are not one of {sorted(SAVEZ_KEYWORDS)}"
        )


def check_state(state: object, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """``(meta, arrays)`` from what ``to_state`` returned for ``kind``: meta as plain JSON values, arrays as
    given once their names and dtypes are checked; a TypeError or ValueError before anything is written."""
    where = f"to_state for kind {kind!r}"
    if not (isinstance(state, tuple) and len(state) == 2):
        raise TypeError(f"{where} must return a tuple (meta, arrays); got {type(state).__name__}")
    meta, arrays = state
    if not isinstance(meta, dict):
        raise TypeError(f"{where}: meta must be a dict; got {type(meta).__name__}")
    meta = _to_json_value(meta, "meta")
    if not isinstance(arrays, dict):
        raise TypeError(f"{where}: arrays must be a dict of name -> ndarray; got {type(arrays).__name__}")
    checked: dict[str, np.ndarray[Any, Any]] = {}
    for name, arr in arrays.items():
        _check_array_name(name, where)
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where}: arrays[{name!r}] must be a numpy.ndarray; got {type(arr).__name__}")
        if arr.dtype.kind not in ARRAY_KINDS or arr.dtype.fields is not None:
            raise TypeError(
                f"{where}: arrays[{name!r}] has dtype {arr.dtype}; only bool, integer, float and complex "
                "arrays are stored (never object arrays: loading them would need pickle)"
            )
        checked[name] = arr
    return meta, checked
