"""Class labels: from the user's y to the network's class indices and back, and through a file as JSON."""

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from ufldl._lib.types import ArrayLike, IntArray, Labels, StateArrays, StateMeta

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["label_set", "check_class_labels", "encode_labels", "classes_to_meta", "classes_from_meta",
           "labels_to_state", "labels_from_state"]


def label_set(classes: ArrayLike) -> Labels:
    """The sorted distinct labels of ``classes`` (a 1-D sequence)."""
    labels = np.asarray(classes)
    if labels.ndim != 1:
        raise ValueError(f"classes must be a 1-D sequence of labels; got shape {labels.shape}")
    return np.unique(labels)


def check_class_labels(y: ArrayLike) -> None:
    """Raise ValueError unless y holds class labels (not continuous values, not a multi-output matrix)."""
    try:
        check_classification_targets(y)
    except ValueError as exc:
        raise ValueError(f"y must hold class labels: {exc}") from None


def encode_labels(y: Labels, classes: Labels) -> IntArray:
    """y's labels as int64 indices into the sorted ``classes``; a label not among them is a ValueError naming
    it."""
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(f"y holds labels that are not among the classes {classes.tolist()!r}: "
                         f"{np.unique(y[unknown])[:5].tolist()!r}")
    return np.searchsorted(classes, y).astype(np.int64)


def classes_to_meta(est: "BaseEstimator") -> StateMeta:
    """``est.classes_`` as JSON-able metadata (int, float, bool and str labels)."""
    classes: Labels = est.classes_
    kind = classes.dtype.kind
    if kind == "O" and all(isinstance(v, (str, numbers.Real)) and not isinstance(v, bytes) for v in classes):
        return {"dtype": "object", "values": [v.item() if isinstance(v, np.generic) else v for v in classes]}
    if kind not in "biufU":
        raise TypeError(f"cannot save {type(est).__name__}: its labels (classes_ of dtype {classes.dtype}, "
                        f"{classes[:3].tolist()!r}...) are stored as JSON, which holds int, float, bool and str "
                        "labels only; encode the labels as ints or strings")
    return {"dtype": classes.dtype.str, "values": classes.tolist()}


def classes_from_meta(targets: Mapping[str, Any]) -> Labels:
    """The ``classes_`` array ``classes_to_meta`` described."""
    values, dtype = targets["values"], targets["dtype"]
    if dtype == "object":
        classes = np.empty(len(values), dtype=object)
        classes[:] = values
        return classes
    return np.array(values, dtype=np.dtype(dtype))


def labels_to_state(est: "BaseEstimator", meta: StateMeta, arrays: StateArrays) -> None:
    """A classifier's ``classes_`` into its ``ufldl.io`` state (``persistence.register``'s ``extra_to_state``)."""
    meta["targets"] = classes_to_meta(est)


def labels_from_state(est: "BaseEstimator", meta: StateMeta, arrays: StateArrays) -> None:
    """The ``classes_`` that :func:`labels_to_state` stored, back on the loaded classifier."""
    est.classes_ = classes_from_meta(meta["targets"])
