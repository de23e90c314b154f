"""A Network's saved state: the ``ufldl.io`` kind ``"ufldl.Network"`` (its architecture in the header's meta,
``theta`` as the one array), registered here, which ``ufldl`` imports: saving and loading networks works as soon as
``ufldl`` is imported.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from ufldl import io
from ufldl.layers import KLSparsity, n_params, parse_dtype, parse_layer_sizes
from ufldl.network import Network

__all__ = ["network_from_state", "network_to_state"]

_STATE_META = ("layer_sizes", "activations", "loss", "weight_decay", "sparsity", "dtype")


def network_to_state(net: Network) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """A Network as ``ufldl.io`` stores it: (meta, arrays) with its architecture and ``theta``."""
    sparsity = net.sparsity
    meta = {
        "layer_sizes": list(net.layer_sizes),
        "activations": list(net.activations),
        "loss": net.loss,
        "weight_decay": (float(net.weight_decay) if not isinstance(net.weight_decay, tuple)
                         else [float(d) for d in net.weight_decay]),
        "sparsity": None if sparsity is None else {
            "rho": float(sparsity.rho),
            "beta": float(sparsity.beta),
            "layers": None if sparsity.layers is None else list(sparsity.layers),
        },
        "dtype": str(net.dtype),
    }
    return meta, {"theta": net.theta}


def network_from_state(meta: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]]) -> Network:
    """The Network that :func:`network_to_state` described, checked before anything is allocated."""
    missing = [key for key in _STATE_META if key not in meta]
    if missing:
        raise ValueError(f"meta lacks {missing}")
    if set(arrays) != {"theta"}:
        raise ValueError(f"a Network stores exactly one array, 'theta'; got {sorted(arrays)}")
    # Before anything is built: a Network allocates (and initialises) what layer_sizes ask for, and those
    # come from the header, so they must first be shown to match the theta the file actually holds.
    _check_saved_theta(arrays["theta"], parse_layer_sizes(meta["layer_sizes"]), parse_dtype(meta["dtype"]))
    sparsity = meta["sparsity"]
    if sparsity is not None:
        if not isinstance(sparsity, dict) or set(sparsity) != {"rho", "beta", "layers"}:
            raise ValueError(f"meta 'sparsity' must be null or {{rho, beta, layers}}; got {sparsity!r}")
        sparsity = KLSparsity(sparsity["rho"], sparsity["beta"], sparsity["layers"])
    net = Network(meta["layer_sizes"], meta["activations"], meta["loss"], meta["weight_decay"], sparsity,
                  meta["dtype"], random_state=0)
    # Written into the existing buffer (weights and biases stay views of it), without the setter's
    # finiteness check: the parameters come back as they were saved, NaN included.
    net.theta[...] = arrays["theta"]
    return net


def _check_saved_theta(theta: np.ndarray[Any, Any], sizes: Sequence[int], dtype: np.dtype[Any]) -> None:
    count = n_params(sizes)
    # Byte order may differ from this machine's (a file from a big-endian one); the values are the same.
    if theta.shape != (count,) or theta.dtype.newbyteorder("=") != dtype:
        raise ValueError(
            f"theta must have shape ({count},) and dtype {dtype} for layer_sizes {list(sizes)}; got shape "
            f"{theta.shape} and dtype {theta.dtype}"
        )


io.register("ufldl.Network", Network, network_to_state, network_from_state)
