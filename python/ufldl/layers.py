"""What a network is made of, checked: layer sizes, activations, losses, dtypes, the KL sparsity penalty, the
parameter count, and targets converted for the core (docs/math.md#shapes-and-orientation,
docs/math.md#sparsity-penalty). ``ufldl.network`` builds networks from these; ``ufldl.io``-registered state
and the estimators check saved and given architectures with them.
"""

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ufldl._lib.types import ActivationName, ArrayLike, Float64Array, FloatArray, IntArray, LossName, Targets
from ufldl._lib.sparse import as_csr, is_sparse
from ufldl._lib.validation import convert, numeric_array, real_scalar, require_finite

__all__ = ["ACTIVATIONS", "DTYPES", "LOSSES", "OUTPUT_OF_LOSS", "KLSparsity", "as_labels", "as_targets", "as_theta",
           "check_parameter_count", "layer_range", "n_params", "parameter_slices", "parse_activations", "parse_dtype",
           "parse_layer_sizes", "parse_weight_decay", "read_only", "sample_weights", "sparse_layer_flags"]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("squared", "cross_entropy", "binary_cross_entropy")
#: The output activation each loss needs (None: any but softmax).
OUTPUT_OF_LOSS = {"squared": None, "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))  # what the compiled core is built for


@dataclass(frozen=True)
class KLSparsity:
    """The sparse autoencoder's KL-divergence penalty ``beta * sum_j KL(rho || rho_hat_j)``.

    ``rho_hat_j`` is the mean activation of hidden unit j over the batch the cost is computed on.

    Parameters
    ----------
    rho : float, default 0.01
        Target mean activation, in (0, 1).
    beta : float, default 3.0
        Weight of the penalty, >= 0.
    layers : sequence of int or None, default None
        Hidden layers that carry the penalty, numbered 1..L-1 (layer l is the output of ``weights[l-1]``).
        None means every hidden layer. Each must use the sigmoid activation (rho_hat must lie in (0, 1)).

    Notes
    -----
    A saturated sigmoid unit (every output rounding to exactly 0 or 1, as unscaled inputs around 100
    produce) has ``rho_hat`` exactly 0 or 1, where the KL divergence is infinite. ``rho_hat`` is therefore
    clipped into ``[eps, 1 - eps]`` (eps = machine epsilon of the network's dtype) in both the cost and its
    gradient, which keeps them finite (about ``beta * 36`` per saturated unit in float64) and consistent.
    """

    rho: float = 0.01
    beta: float = 3.0
    layers: Sequence[int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", real_scalar(self.rho, "rho", low=0.0, low_inclusive=False, high=1.0,
                                                    high_inclusive=False))
        object.__setattr__(self, "beta", real_scalar(self.beta, "beta", low=0.0))
        if self.layers is not None:
            if isinstance(self.layers, (int, np.integer)):
                layers: tuple[int, ...] = (self.layers,)  # type: ignore[assignment]  # an int here
            else:
                layers = tuple(self.layers)
            for layer in layers:
                if isinstance(layer, (bool, np.bool_)) or not isinstance(layer, (int, np.integer)):
                    raise TypeError(f"sparsity layers must be integers; got {layer!r} in {self.layers!r}")
            object.__setattr__(self, "layers", tuple(int(layer) for layer in layers))


def parse_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError(f"layer_sizes must be a sequence of integers; got {type(layer_sizes).__name__}") from None
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"layer_sizes must hold integers; got {n!r} in {layer_sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must hold at least 2 sizes (input and output); got {layer_sizes!r}")
    for position, n in enumerate(sizes):
        if n < 1:
            raise ValueError(f"layer_sizes must all be >= 1; got {n} at position {position} of {list(sizes)}")
        if n > np.iinfo(np.int32).max:
            raise ValueError(
                f"layer_sizes must fit a 32-bit int (BLAS); got {n} at position {position} of {list(sizes)}"
            )
    return tuple(int(n) for n in sizes)


def check_parameter_count(sizes: Sequence[int], dtype: np.dtype[Any]) -> None:
    """Refuse sizes whose parameter vector could not exist (each size may be valid while their products
    overflow 64 bits), before anything is allocated. Python ints do not overflow."""
    n_params = sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    itemsize = np.dtype(dtype).itemsize
    limit = np.iinfo(np.intp).max // itemsize
    if n_params > limit:
        raise ValueError(
            f"layer_sizes {list(sizes)} give {n_params:.3e} parameters (weights n_l * n_(l-1) plus biases), more "
            f"than a {np.dtype(dtype).name} array can hold ({limit:.3e}, {itemsize} bytes each)"
        )


def parse_activations(activations: Any, n_layers: int, loss: LossName) -> tuple[ActivationName, ...]:
    if isinstance(activations, str):
        # One name for every layer; with cross-entropy the output layer is softmax, with binary cross-entropy
        # sigmoid.
        names = [activations] * n_layers
        if OUTPUT_OF_LOSS[loss] is not None:
            names[-1] = OUTPUT_OF_LOSS[loss]  # type: ignore[assignment]  # not None here
    else:
        try:
            names = list(activations)
        except TypeError:
            raise TypeError(
                f"activations must be a name or a sequence of names; got {type(activations).__name__}"
            ) from None
        if len(names) != n_layers:
            raise ValueError(
                f"activations must hold one name per weight layer ({n_layers}); got {len(names)}: {names!r}"
            )
    for name in names:
        if name not in ACTIVATIONS:
            raise ValueError(f"activations must be names from {ACTIVATIONS}; got {name!r}")
    for layer, name in enumerate(names[:-1], start=1):
        if name == "softmax":
            raise ValueError(
                f"activations: softmax is allowed on the output layer only; got it on hidden layer {layer}"
            )
    if loss == "cross_entropy" and names[-1] != "softmax":
        raise ValueError(f"loss='cross_entropy' needs a softmax output layer; got {names[-1]!r}")
    if loss == "binary_cross_entropy" and names[-1] != "sigmoid":
        raise ValueError(f"loss='binary_cross_entropy' needs a sigmoid output layer; got {names[-1]!r}")
    if loss != "cross_entropy" and names[-1] == "softmax":
        raise ValueError(f"a softmax output layer needs loss='cross_entropy'; got loss={loss!r}")
    return tuple(names)  # type: ignore[arg-type]  # every name checked against ACTIVATIONS above


def parse_weight_decay(value: Any, n_layers: int) -> float | tuple[float, ...]:
    """weight_decay checked: one lambda >= 0 (float), or a tuple of one lambda_l >= 0 per weight layer."""
    if isinstance(value, (str, bytes)) or np.ndim(value) == 0:
        return real_scalar(value, "weight_decay", low=0.0)
    values = tuple(value)
    if len(values) != n_layers:
        raise ValueError(f"weight_decay must be one number or one per weight layer ({n_layers}); got "
                         f"{len(values)}: {list(values)!r}")
    return tuple(real_scalar(v, f"weight_decay[{i}]", low=0.0) for i, v in enumerate(values))


def sparse_layer_flags(sparsity: "KLSparsity | None", sizes: Sequence[int], activations: Sequence[str]) -> list[bool]:
    """Which layers 0..L of a network with ``sizes`` and ``activations`` carry the penalty ``sparsity``
    (a KLSparsity or None), checked: a list of L + 1 bools, True for each sparse hidden layer."""
    n_layers = len(sizes) - 1
    if sparsity is not None and not isinstance(sparsity, KLSparsity):
        raise TypeError(f"sparsity must be a ufldl.KLSparsity or None; got {type(sparsity).__name__}")
    flags = [False] * (n_layers + 1)
    if sparsity is not None:
        hidden = range(1, n_layers)
        if len(hidden) == 0:
            raise ValueError(
                f"sparsity needs a hidden layer; layer_sizes {sizes} has none (L = {n_layers})"
            )
        layers = tuple(hidden) if sparsity.layers is None else sparsity.layers
        for layer in layers:
            if layer not in hidden:
                raise ValueError(
                    f"sparsity layers must be hidden layers in 1..{n_layers - 1}; got {layer}"
                )
            if activations[layer - 1] != "sigmoid":
                raise ValueError(
                    f"sparsity needs sigmoid units (rho_hat in (0, 1)); hidden layer {layer} is "
                    f"{activations[layer - 1]!r}"
                )
            flags[layer] = True
    return flags


def parse_dtype(dtype: Any) -> np.dtype[Any]:
    if dtype is None:
        raise TypeError("dtype must be 'float64' or 'float32'; got None")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be 'float64' or 'float32'; got {dtype!r}") from None
    if dt not in DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dt}")
    return dt  # type: ignore[no-any-return]


def n_params(sizes: Sequence[int]) -> int:
    """The length of theta for ``layer_sizes`` (all weights, then all biases), in Python ints: no overflow."""
    return sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:])) + sum(sizes[1:])


def parameter_slices(sizes: Sequence[int], weight_offset: Callable[[int], int],
                     bias_offset: Callable[[int], int]) -> list[tuple[slice, tuple[int, int], slice]]:
    """Where each layer's parameters lie in theta, from the offsets of ``W_l`` and ``b_l`` (functions of l, as
    the compiled core gives them): a list of ``(W_l slice, W_l shape (n_l, n_{l-1}), b_l slice)`` for l = 1..L."""
    slices = []
    for layer in range(1, len(sizes)):
        n_in, n_out = sizes[layer - 1], sizes[layer]
        w0 = weight_offset(layer)
        b0 = bias_offset(layer)
        slices.append((slice(w0, w0 + n_in * n_out), (n_out, n_in), slice(b0, b0 + n_out)))
    return slices


def as_theta(theta: ArrayLike | None, current: FloatArray) -> FloatArray:
    """``theta`` as the core takes it for a network whose parameter vector is ``current``: None stands for
    ``current`` itself, anything else is converted (copied when needed) to its shape and dtype; checked finite."""
    if theta is None:
        # The parameters may have been written through net.theta / weights / biases: check them too
        # (O(n_params), negligible next to an evaluation).
        require_finite(current, "theta")
        return current
    arr = numeric_array(theta, "theta")
    if arr.shape != (current.size,):
        raise ValueError(f"theta must have shape ({current.size},) for this network; got {arr.shape}")
    converted = convert(arr, "theta", current.dtype)
    require_finite(converted, "theta")
    return converted


def layer_range(start: int, stop: int | None, n_layers: int) -> tuple[int, int]:
    """The layers ``start..stop`` (stop None: the last) of a network of ``n_layers`` weight layers, as ints,
    checked ``1 <= start <= stop <= n_layers``."""
    L = n_layers
    stop = L if stop is None else stop
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a layer number (int) in 1..{L}; got {value!r}")
    if not 1 <= start <= stop <= L:
        raise ValueError(f"layers must satisfy 1 <= start <= stop <= {L}; got start={start}, stop={stop}")
    return int(start), int(stop)


@contextlib.contextmanager
def read_only(arrays: Sequence[np.ndarray[Any, Any]]) -> Iterator[None]:
    """Inside the block, ``arrays`` are read-only; their flags are restored on the way out. A view is writeable
    only if its base is: give the base first."""
    flags = [array.flags.writeable for array in arrays]
    for array in arrays:
        array.flags.writeable = False
    try:
        yield
    finally:
        for array, flag in zip(arrays, flags):
            array.flags.writeable = flag


def as_targets(Y: ArrayLike, m: int, n_out: int, loss: str, dtype: np.dtype[Any]) -> Targets:
    """Y as the core takes it for ``m`` examples: dense targets ``(m, n_out)`` in ``dtype`` (distributions for
    cross-entropy), or, for cross-entropy, integer labels ``(m,)`` as int64 in ``[0, n_out)``. Sparse targets (an
    autoencoder's sparse X) stay sparse, as CSR (``ufldl._lib.sparse.as_csr``): the core densifies them one block
    of rows at a time."""
    if is_sparse(Y):
        sparse: Targets = _sparse_targets(Y, m, n_out, loss, dtype)
        return sparse
    arr = numeric_array(Y, "Y")
    if loss == "cross_entropy" and arr.ndim == 1:
        return as_labels(arr, m, n_out)
    if arr.ndim != 2 or arr.shape != (m, n_out):
        expected = f"(m, {n_out}) with m = {m} rows like X"
        if loss == "cross_entropy":
            expected += f", or integer labels of shape ({m},)"
        raise ValueError(f"Y must have shape {expected}; got shape {arr.shape}")
    arr = convert(arr, "Y", dtype)
    if loss == "binary_cross_entropy":
        require_finite(arr, "Y")
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(f"Y must hold probabilities in [0, 1] (0/1 labels for multilabel targets) for "
                             f"loss='binary_cross_entropy'; got values in [{arr.min()}, {arr.max()}]")
    if loss == "cross_entropy":
        require_finite(arr, "Y")
        tol = 1e-6 if dtype == np.float64 else 1e-4
        if arr.min() < 0:
            raise ValueError(f"Y must hold probabilities (>= 0) for loss='cross_entropy'; got {arr.min()}")
        sums = arr.sum(axis=1)
        worst = int(np.argmax(np.abs(sums - 1)))
        if abs(sums[worst] - 1) > tol:
            raise ValueError(
                "each row of Y must be a distribution summing to 1 for loss='cross_entropy'; "
                f"row {worst} sums to {sums[worst]}"
            )
    return arr

def _sparse_targets(Y: Any, m: int, n_out: int, loss: str, dtype: np.dtype[Any]) -> Any:
    if Y.shape != (m, n_out):
        raise ValueError(f"Y must have shape (m, {n_out}) with m = {m} rows like X; got a sparse matrix of shape "
                         f"{Y.shape}")
    Y = as_csr(Y, "Y", n_out, dtype)
    require_finite(Y.data, "Y.data")
    values = Y.data
    if loss != "squared" and not Y.has_canonical_format:  # the values are the sums of duplicate entries
        canonical = Y.copy()
        canonical.sum_duplicates()
        values = canonical.data
    low, high = (values.min(), values.max()) if values.size else (0, 0)
    if loss == "binary_cross_entropy" and (low < 0 or high > 1):
        raise ValueError(f"Y must hold probabilities in [0, 1] for loss='binary_cross_entropy'; got values in "
                         f"[{low}, {high}]")
    if loss == "cross_entropy":
        sums = np.asarray(Y.sum(axis=1)).ravel()
        worst = int(np.argmax(np.abs(sums - 1)))
        if low < 0 or abs(sums[worst] - 1) > (1e-6 if dtype == np.float64 else 1e-4):
            raise ValueError("each row of Y must be a distribution (>= 0, summing to 1) for loss='cross_entropy'; "
                             f"row {worst} sums to {sums[worst]}, the smallest value is {low}")
    return Y


def as_labels(arr: np.ndarray[Any, Any], m: int, n_out: int) -> IntArray:
    if arr.shape != (m,):
        raise ValueError(f"Y (labels) must have shape ({m},) like X's rows; got {arr.shape}")
    if arr.dtype.kind == "f":
        require_finite(arr, "Y")
        fractional = arr != np.round(arr)
        if fractional.any():
            where = int(np.argmax(fractional))
            raise ValueError(
                f"Y (labels) must be integers in [0, {n_out}); got {arr[where]} at index {where}"
            )
    if arr.dtype.kind == "b":
        raise TypeError("Y (labels) must be integers, not booleans")
    low, high = arr.min(), arr.max()
    if low < 0 or high >= n_out:
        bad = low if low < 0 else high
        raise ValueError(f"Y (labels) must lie in [0, {n_out}) for {n_out} output units; got {bad}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def sample_weights(sample_weight: ArrayLike | None, m: int) -> Float64Array | None:
    """``sample_weight`` checked (docs/math.md#sample-weights): None stays None (every row weighs 1); otherwise a
    C-ordered float64 array of shape (m,), finite, >= 0 and not all zero, or ValueError naming it."""
    if sample_weight is None:
        return None
    try:
        w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"sample_weight must be None or {m} real numbers; got {type(sample_weight).__name__}") from None
    if w.shape != (m,):
        raise ValueError(f"sample_weight must have shape ({m},), one weight per example; got shape {w.shape}")
    bad = np.flatnonzero(~(np.isfinite(w) & (w >= 0)))
    if bad.size:
        raise ValueError(f"sample_weight must be finite and >= 0; got {w[bad[0]]} at index {bad[0]}")
    if not w.sum() > 0:
        raise ValueError("sample_weight must not be all zero (their sum divides the weighted mean); got all zero")
    return w
