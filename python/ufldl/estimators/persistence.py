"""An estimator's trip through a ``ufldl.io`` file: its hyperparameters, its fitted attributes, its networks and
its mini-batch optimiser's state.

Every estimator's state has the same common part (``estimator_to_state`` / ``estimator_from_state``); a class
adds what only it has through two functions of its own (its labels, its autoencoders, ...), and ``register``
tells ``ufldl.io`` the class under the kind ``"ufldl.<ClassName>"``.
"""

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from ufldl import io
from ufldl._lib.types import StateArrays, StateMeta
from ufldl.estimators.solvers import new_optimizer
from ufldl.network import Network
from ufldl.network_state import network_from_state, network_to_state

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

#: What a class adds to a fitted estimator's state, or takes back from it: ``extra(est, meta, arrays)``.
ExtraState: TypeAlias = Callable[[Any, StateMeta, StateArrays], None]

__all__ = ["STATE_VERSION", "params_to_meta", "params_from_meta", "network_to_meta", "network_from_meta",
           "estimator_to_state", "estimator_from_state", "register"]

#: The layout version of every estimator's state (the file's format version is ``ufldl.io``'s).
STATE_VERSION = 1
# Fitted attributes added after files of STATE_VERSION 1 were first written, with the value a file without them
# gives: an autoencoder saved by ufldl 0.1.0 has no t_.
_ADDED_LATER = {"t_": 0}


def params_to_meta(est: "BaseEstimator") -> StateMeta:
    """``get_params()`` as JSON-able metadata: ``{"params": ..., "tuple_params": [...], "inf_params": [...]}``.

    Tuples are named so that they come back as tuples (the file's JSON turns them into lists), infinities so
    that they come back (JSON holds finite numbers only); a RandomState or Generator is not stored (the loaded
    estimator has random_state=None).
    """
    params: dict[str, Any] = {}
    for name, value in est.get_params(deep=False).items():
        if isinstance(value, np.ndarray):
            value = tuple(value.tolist())
        elif name == "dtype":
            value = np.dtype(value).name
        elif name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        params[name] = value
    infinite = sorted(k for k, v in params.items() if isinstance(v, float) and math.isinf(v))
    for name in infinite:
        params[name] = "inf" if params[name] > 0 else "-inf"
    return {"params": params, "tuple_params": sorted(k for k, v in params.items() if isinstance(v, tuple)),
            "inf_params": infinite}


def params_from_meta(meta: StateMeta) -> dict[str, Any]:
    """The keyword arguments ``params_to_meta`` stored, tuples and infinities restored."""
    params = dict(meta["params"])
    for name in meta.get("tuple_params", []):
        params[name] = tuple(params[name])
    for name in meta.get("inf_params", []):
        params[name] = float(params[name])
    return params


def network_to_meta(net: Network, arrays: StateArrays, name: str = "theta") -> StateMeta:
    """A Network's metadata; its parameters go into ``arrays[name]``."""
    meta, net_arrays = network_to_state(net)
    arrays[name] = net_arrays["theta"]
    return meta


def network_from_meta(meta: StateMeta, arrays: StateArrays, name: str = "theta") -> Network:
    return network_from_state(meta, {"theta": arrays[name]})


def _optimizer_to_meta(est: "BaseEstimator", arrays: StateArrays) -> StateMeta | None:
    optimizer = getattr(est, "_optimizer", None)
    if optimizer is None:
        return None
    opt_meta, opt_arrays = optimizer.state_dict()
    arrays.update({f"optimizer.{key}": value for key, value in opt_arrays.items()})
    return {"name": optimizer.name, **opt_meta}


def _load_optimizer(est: "BaseEstimator", opt_meta: StateMeta | None, arrays: StateArrays) -> None:
    est._optimizer = None
    if opt_meta is None:
        return
    est._optimizer = new_optimizer(est._checked_parameters())
    if est._optimizer.name != opt_meta["name"]:
        raise ValueError(f"optimizer state of {opt_meta['name']!r} for solver {est.solver!r}")
    est._optimizer.load_state_dict(opt_meta, {key.split(".", 1)[1]: value for key, value in arrays.items()
                                              if key.startswith("optimizer.")})


def estimator_to_state(est: "BaseEstimator") -> tuple[StateMeta, StateArrays]:
    """The common part of an estimator's file: its hyperparameters and, when fitted, its class's
    ``_fitted_attributes``, ``feature_names_in_``, ``network_`` and the mini-batch optimiser's state."""
    meta = {"version": STATE_VERSION, **params_to_meta(est), "fitted": hasattr(est, "network_")}
    arrays: StateArrays = {}
    if meta["fitted"]:
        for name in type(est)._fitted_attributes:
            meta[name] = getattr(est, name)
        names = getattr(est, "feature_names_in_", None)
        meta["feature_names_in_"] = None if names is None else [str(n) for n in names]
        meta["network"] = network_to_meta(est.network_, arrays)
        meta["optimizer"] = _optimizer_to_meta(est, arrays)
    return meta, arrays


def estimator_from_state(cls: type[Any], meta: StateMeta, arrays: StateArrays) -> Any:
    """The estimator ``estimator_to_state`` described (its class restores what it added itself)."""
    if meta.get("version") != STATE_VERSION:
        raise ValueError(f"unknown {cls.__name__} state version {meta.get('version')!r} (this ufldl reads "
                         f"{STATE_VERSION})")
    est = cls(**params_from_meta(meta))
    if not meta["fitted"]:
        return est
    est.network_ = network_from_meta(meta["network"], arrays)
    for name in cls._fitted_attributes:
        setattr(est, name, meta[name] if name in meta or name not in _ADDED_LATER else _ADDED_LATER[name])
    if meta.get("feature_names_in_") is not None:
        est.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
    if "optimizer" in meta:
        _load_optimizer(est, meta["optimizer"], arrays)
    return est


def register(cls: type[Any], extra_to_state: ExtraState | None = None,
             extra_from_state: ExtraState | None = None) -> None:
    """Tell ``ufldl.io`` the estimator class ``cls`` as kind ``"ufldl.<ClassName>"``.

    ``extra_to_state(est, meta, arrays)`` adds what only the class has to a fitted estimator's state;
    ``extra_from_state(est, meta, arrays)`` puts it back.
    """
    def to_state(est: Any) -> tuple[StateMeta, StateArrays]:
        meta, arrays = estimator_to_state(est)
        if meta["fitted"] and extra_to_state is not None:
            extra_to_state(est, meta, arrays)
        return meta, arrays

    def from_state(meta: StateMeta, arrays: StateArrays) -> Any:
        est = estimator_from_state(cls, meta, arrays)
        if meta["fitted"] and extra_from_state is not None:
            extra_from_state(est, meta, arrays)
        return est

    io.register(f"ufldl.{cls.__name__}", cls, to_state, from_state)
