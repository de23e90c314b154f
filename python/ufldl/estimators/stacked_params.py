"""The hyperparameter checks of ``StackedAutoencoder``: the hidden sizes, the fine-tuning decay, and the values
given once for every autoencoder or once per autoencoder."""

import numbers
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from ufldl.estimators.constraints import Constraint

__all__ = ["FINETUNE_DECAY", "hidden_sizes", "finetune_decay", "per_layer", "layer_values"]

FINETUNE_DECAY = ("all", "softmax")

_T = TypeVar("_T")


def hidden_sizes(given: Any, name: str) -> tuple[int, ...]:
    """``given`` (an int, or a non-empty sequence of ints >= 1) as a tuple of ints; TypeError or ValueError
    naming ``name`` otherwise."""
    sizes = (given,) if isinstance(given, numbers.Integral) and not isinstance(given, (bool, np.bool_)) else given
    try:
        sizes = [int(h) if isinstance(h, numbers.Integral) and not isinstance(h, (bool, np.bool_)) else None
                 for h in sizes]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints >= 1; got {given!r}") from None
    if not sizes or None in sizes or min(sizes) < 1:
        raise ValueError(f"{name} must be a non-empty sequence of ints >= 1; got {given!r}")
    return tuple(sizes)


def finetune_decay(choice: Any, name: str) -> str | float:
    """``choice``, one of :data:`FINETUNE_DECAY` or a number >= 0 (returned as a float); ValueError otherwise."""
    if isinstance(choice, str) and choice in FINETUNE_DECAY:
        return choice
    if (isinstance(choice, (bool, np.bool_, str)) or not isinstance(choice, numbers.Real)
            or not choice >= 0):  # type: ignore[operator]  # typeshed's numbers.Real has no comparison
        raise ValueError(f"{name} must be one of {FINETUNE_DECAY} or a number >= 0; got {choice!r}")
    return float(choice)


def per_layer(constraint: Constraint[_T]) -> Constraint[_T | list[_T]]:
    """One value for every autoencoder, or a sequence of one value per autoencoder, each as ``constraint``
    accepts (the count is checked against the layers by the estimator)."""
    def check(value: Any, name: str) -> _T | list[_T]:
        if isinstance(value, (str, bytes)) or np.ndim(value) == 0:
            return constraint(value, name)
        return [constraint(v, f"{name}[{k}]") for k, v in enumerate(value)]
    return Constraint(f"{constraint.description}, or a sequence of them (one per hidden layer)", check)


def layer_values(value: _T | list[_T], name: str, n_layers: int) -> list[_T]:
    """A hyperparameter given once for every autoencoder or once per autoencoder, as a list of n_layers."""
    if not isinstance(value, list):
        return [value] * n_layers
    if len(value) != n_layers:
        raise ValueError(f"{name} must be one value or one per hidden layer ({n_layers}); got {len(value)}: "
                         f"{value!r}")
    return value


def finetune_decays(params: Mapping[str, Any], n_weight_layers: int) -> list[float]:
    """The fine-tuning's lambda of each weight layer from ``finetune_weight_decay``: a float for every layer,
    ``"all"`` the softmax layer's lambda for every layer, ``"softmax"`` it for the softmax layer only."""
    choice = params["finetune_weight_decay"]
    if isinstance(choice, float):
        return [choice] * n_weight_layers
    lam = params["softmax_weight_decay"]
    return [lam] * n_weight_layers if choice == "all" else [0.0] * (n_weight_layers - 1) + [lam]
