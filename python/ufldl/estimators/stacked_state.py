"""Saving a ``StackedAutoencoder``: its state for ``ufldl.io`` (both networks, and every autoencoder of the stack
under the prefix ``autoencoder<k>.``), registered by ``ufldl.estimators.stacked`` with :func:`register_stacked`."""

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ufldl import io
from ufldl._lib.types import StateArrays, StateMeta
from ufldl.estimators.labels import classes_from_meta, classes_to_meta
from ufldl.estimators.persistence import network_from_meta, network_to_meta, params_from_meta, params_to_meta

__all__ = ["STATE_VERSION", "stacked_to_state", "stacked_from_state", "register_stacked"]

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

    from ufldl.io.registry import Kind

STATE_VERSION = 1


def _autoencoder_kind() -> "Kind":
    # Registered when ufldl.estimators.autoencoder is imported, which ufldl.estimators.stacked does first.
    return cast("Kind", io.registry.kind_named("ufldl.SparseAutoencoder"))


def stacked_to_state(est: "BaseEstimator") -> tuple[StateMeta, StateArrays]:
    """``(meta, arrays)`` of a StackedAutoencoder, fitted or not."""
    meta = {"version": STATE_VERSION, **params_to_meta(est), "fitted": hasattr(est, "network_")}
    arrays: StateArrays = {}
    if meta["fitted"]:
        meta["targets"] = classes_to_meta(est)
        meta["n_features_in_"] = est.n_features_in_
        meta["loss_curve_"], meta["n_iter_"] = est.loss_curve_, est.n_iter_
        for name in ("network_", "pretrained_network_"):
            meta[name] = network_to_meta(getattr(est, name), arrays, name)
        meta["autoencoders_"] = []
        for k, ae in enumerate(est.autoencoders_):
            ae_meta, ae_arrays = _autoencoder_kind().to_state(ae)
            meta["autoencoders_"].append(ae_meta)
            arrays.update({f"autoencoder{k}.{key}": value for key, value in ae_arrays.items()})
    return meta, arrays


def stacked_from_state(cls: type[Any], meta: StateMeta, arrays: StateArrays) -> Any:
    """The estimator of class ``cls`` that :func:`stacked_to_state` saved as ``(meta, arrays)``."""
    if meta.get("version") != STATE_VERSION:
        raise ValueError(f"unknown StackedAutoencoder state version {meta.get('version')!r}")
    est = cls(**params_from_meta(meta))
    if not meta["fitted"]:
        return est
    # (files written before the labels went through classes_to_meta list them under "classes_")
    est.classes_ = classes_from_meta(meta["targets"]) if "targets" in meta else np.asarray(meta["classes_"])
    est.n_features_in_ = meta["n_features_in_"]
    est.loss_curve_, est.n_iter_ = meta["loss_curve_"], meta["n_iter_"]
    for name in ("network_", "pretrained_network_"):
        setattr(est, name, network_from_meta(meta[name], arrays, name))
    from_ae = _autoencoder_kind().from_state
    est.autoencoders_ = []
    for k, ae_meta in enumerate(meta["autoencoders_"]):
        prefix = f"autoencoder{k}."
        est.autoencoders_.append(from_ae(ae_meta, {key[len(prefix):]: value for key, value in arrays.items()
                                                   if key.startswith(prefix)}))
    return est


def register_stacked(cls: type[Any]) -> None:
    """Tell ``ufldl.io`` the class ``cls`` (StackedAutoencoder) as kind ``"ufldl.StackedAutoencoder"``."""
    def from_state(meta: StateMeta, arrays: StateArrays) -> Any:
        return stacked_from_state(cls, meta, arrays)

    io.register("ufldl.StackedAutoencoder", cls, stacked_to_state, from_state)
