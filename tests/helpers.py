"""Shared test helpers: per-dtype tolerances, and the comparison of a
``ufldl.Network`` with the plain NumPy ``ufldl.reference`` at the same parameters.

Tolerances (measured, see ``TOLERANCES``) bound ``max |actual - desired|`` by ``rtol * scale``, where
``scale`` is the size of the quantity itself: ``|cost|`` for a cost or cost term, ``max |grad_ref|`` for a
gradient, ``max |A_ref|`` for a layer's activations. A quantity whose reference is exactly 0 (a switched-off
term) must therefore come out exactly 0.
"""

from dataclasses import dataclass

import numpy as np

import ufldl
from ufldl import reference

SEED = 20240611

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Tolerance:
    cost: float  # a cost and each of its terms, relative to its own magnitude
    grad: float  # the gradient, max abs error relative to max |grad|
    act: float  # each layer's activations, max abs error relative to max |A_l|


TOLERANCES = {
    # Reordered float64 sums (BLAS blocking, fused kernels, float64 accumulators) stay within a few ulps:
    # the worst measured over these tests is 2e-15 (gradients) and 7e-16 (costs, activations); 1e-12 is the
    # bound asked for, with a wide margin.
    np.dtype(np.float64): Tolerance(cost=1e-12, grad=1e-12, act=1e-12),
    # The float32 network is compared with the float64 reference evaluated at exactly the same (float32)
    # theta, X and Y, so these measure the network's own float32 rounding (eps = 1.2e-7). Worst measured:
    # costs and terms 1.7e-7 (sums are accumulated in float64), activations 2.1e-7, gradients 2.7e-7 (the
    # 64-25-64 autoencoder, m = 100). The bounds leave a margin of 5 to 7 over those: a few float32 ulps.
    np.dtype(np.float32): Tolerance(cost=1e-6, grad=2e-6, act=1e-6),
}


def tolerance(dtype):
    return TOLERANCES[np.dtype(dtype)]


# ---------------------------------------------------------------------------- comparisons


def assert_close(actual, desired, rtol, scale=None, what="value"):
    """``max |actual - desired| <= rtol * scale``; scale defaults to ``max |desired|``."""
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape} != {desired.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: not finite: {actual}"
    if scale is None:
        scale = float(np.max(np.abs(desired))) if desired.size else 0.0
    err = float(np.max(np.abs(actual - desired))) if desired.size else 0.0
    relative = err / scale if scale else np.inf
    assert err <= rtol * scale, (
        f"{what}: max abs error {err:.3g} > {rtol:g} * scale {scale:.3g} (relative {relative:.3g})"
    )


def pack(grad_weights, grad_biases):
    """Reference per-layer gradients in the flat layout ``[W_1, ..., W_L, b_1, ..., b_L]``, W row-major."""
    return np.concatenate([np.ravel(g) for g in grad_weights] + [np.ravel(g) for g in grad_biases])


def sparsity_layers(net):
    """The hidden layers that carry the KL penalty, as ``reference.cost_and_grad`` takes them."""
    if net.sparsity is None:
        return ()
    if net.sparsity.layers is None:
        return tuple(range(1, net.n_layers))
    return net.sparsity.layers


def reference_result(net, X, Y, theta=None, ref_dtype=np.float64):
    """``reference.cost_and_grad`` for ``net`` at ``theta`` (default ``net.theta``).

    X, Y and theta are first rounded to the network's dtype (what the network computes on), then given to the
    reference in ``ref_dtype``. Returns ``(cost, flat_grad, terms)``.
    """
    weights, biases = reference_params(net, theta, ref_dtype)
    X = np.asarray(X).astype(net.dtype).astype(ref_dtype)
    Y = np.asarray(Y)
    if not (Y.ndim == 1 and Y.dtype.kind in "iu"):
        Y = Y.astype(net.dtype).astype(ref_dtype)
    sp = net.sparsity or ufldl.KLSparsity()
    cost, gW, gb, terms = reference.cost_and_grad(
        weights, biases, X, Y, net.activations, net.loss, net.weight_decay, sparsity_layers(net), sp.rho, sp.beta
    )
    return cost, pack(gW, gb), terms


def param_blocks(net):
    """Slices of the flat layout ``[W_1, ..., W_L, b_1, ..., b_L]``: ``{"W1": slice, ..., "b1": slice, ...}``."""
    sizes, blocks, offset = net.layer_sizes, {}, 0
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        blocks[f"W{layer}"] = slice(offset, offset + n_in * n_out)
        offset += n_in * n_out
    for layer, n_out in enumerate(sizes[1:], start=1):
        blocks[f"b{layer}"] = slice(offset, offset + n_out)
        offset += n_out
    assert offset == net.n_params
    return blocks


def reference_params(net, theta=None, ref_dtype=np.float64):
    """Copies of the network's W_l and b_l (at ``theta`` if given) in ``ref_dtype``, sliced by the layout."""
    theta = net.theta if theta is None else np.asarray(theta, dtype=net.dtype)
    blocks = param_blocks(net)
    sizes = net.layer_sizes
    weights = [theta[blocks[f"W{l}"]].reshape(sizes[l], sizes[l - 1]).astype(ref_dtype)
               for l in range(1, net.n_layers + 1)]
    biases = [theta[blocks[f"b{l}"]].astype(ref_dtype) for l in range(1, net.n_layers + 1)]
    return weights, biases


def assert_matches_reference(net, X, Y, theta=None, ref_dtype=np.float64, tol=None, scales=None):
    """Cost, every cost term, the gradient and every layer's activations equal the reference's.

    ``scales`` optionally replaces the scale of each comparison (by default the quantity's own size): a dict
    with any of the keys ``"cost"``, ``"data"``, ``"decay"``, ``"sparsity"``, ``"grad"`` (floats) and
    ``"act"`` (one float per layer).
    """
    tol = tol or tolerance(net.dtype)
    scales = scales or {}
    act_scales = scales.get("act", [None] * net.n_layers)
    cost_ref, grad_ref, terms_ref = reference_result(net, X, Y, theta, ref_dtype)
    cost, grad = net.cost_and_grad(X, Y, theta)
    assert grad.dtype == net.dtype and grad.shape == (net.n_params,)
    assert_close(cost, cost_ref, tol.cost, scales.get("cost"), what="cost")
    terms = net.cost_terms(X, Y, theta)
    assert set(terms) == {"data", "decay", "sparsity"}
    for key in terms:
        assert_close(terms[key], terms_ref[key], tol.cost, scales.get(key), what=f"cost term {key!r}")
    assert_close(net.cost(X, Y, theta), cost_ref, tol.cost, scales.get("cost"), what="net.cost")
    assert_close(grad, grad_ref, tol.grad, scales.get("grad"), what="gradient")

    weights, biases = reference_params(net, theta, ref_dtype)
    X_ref = np.asarray(X).astype(net.dtype).astype(ref_dtype)
    acts_ref = reference.forward(weights, biases, net.activations, X_ref)[1:]
    acts = net.layer_activations(X, theta)
    assert len(acts) == net.n_layers
    for layer, (A, A_ref) in enumerate(zip(acts, acts_ref), start=1):
        assert A.dtype == net.dtype
        assert_close(A, A_ref, tol.act, act_scales[layer - 1], what=f"A_{layer}")
    assert_close(net.forward(X, theta), acts_ref[-1], tol.act, act_scales[-1], what="forward")
    return cost_ref, grad_ref, terms_ref


# ---------------------------------------------------------------------------- data


def make_targets(rng, net, m, labels=False):
    """Targets fitting the network's loss and output activation.

    squared: values inside the output activation's range; cross-entropy: random distributions (rows summing
    to 1) or, with ``labels=True``, integer class labels of shape (m,); binary cross-entropy: 0/1 labels
    (multilabel), a third of them softened to probabilities.
    """
    n_out = net.layer_sizes[-1]
    if net.loss == "binary_cross_entropy":
        Y = (rng.random((m, n_out)) < 0.5).astype(np.float64)
        Y[::3] = rng.uniform(0.0, 1.0, size=Y[::3].shape)
        return Y
    if net.loss == "cross_entropy":
        if labels:
            return rng.integers(0, n_out, size=m)
        P = rng.uniform(0.1, 1.0, size=(m, n_out))
        return P / P.sum(axis=1, keepdims=True)
    low, high = {"sigmoid": (0.05, 0.95), "tanh": (-0.9, 0.9), "relu": (0.0, 1.5)}.get(
        net.activations[-1], (-1.5, 1.5)
    )
    return rng.uniform(low, high, size=(m, n_out))


def randomize_biases(net, rng, scale=0.3):
    """Nonzero biases (the initialisation leaves them 0, which would hide a bias bug)."""
    for b in net.biases:
        b[...] = rng.uniform(-scale, scale, size=b.shape)
    return net


def preactivations(net, X, theta=None):
    """Every layer's ``Z_l`` by the reference, in float64."""
    weights, biases = reference_params(net, theta)
    A = np.asarray(X, dtype=np.float64)
    Zs = []
    for W, b, name in zip(weights, biases, net.activations):
        Z = A @ W.T + b
        Zs.append(Z)
        A = reference.activate(name, Z)
    return Zs


# ---------------------------------------------------------------------------- scikit-learn's checks

_EQUIVALENCE = ("check_sample_weight_equivalence_on_dense_data", "check_sample_weight_equivalence_on_sparse_data")


def sample_weight_expected_failures(estimator):
    """The sample-weight checks an estimator of the parametrize_with_checks lists cannot pass, with the reason.

    ``check_sample_weight_equivalence_on_dense_data`` (and its twin on sparse data) fits 15 rows with integer
    weights against the repeated rows, shuffled, and compares predictions to rtol 1e-7. The weights are exact (tests/test_sample_weight.py holds
    integer weights to repeated rows at 1e-12 in float64); what differs is only what the check cannot hold fixed.
    """
    name = type(estimator).__name__
    if name == "StackedAutoencoder":
        return dict.fromkeys(_EQUIVALENCE,
                             "three L-BFGS runs of 60 iterations on a nearly flat fine-tuning cost (15 separable examples) "
                             "amplify the rounding of the reordered sums: the weighted fit of the shuffled rows differs from "
                             "the same weighted fit of the unshuffled rows by 1e-2 as well")
    if getattr(estimator, "early_stopping", False):
        return dict.fromkeys(_EQUIVALENCE,
                             "early stopping holds out a random validation_fraction of the rows: a different split of the "
                             "repeated rows than of the weighted ones (as for scikit-learn's MLP)")
    if getattr(estimator, "dtype", "float64") == "float32":
        return dict.fromkeys(_EQUIVALENCE,
                             "float32: the repeated and the weighted sums round differently (eps 1.2e-7), and training "
                             "carries that past the check's rtol of 1e-7")
    return {}
