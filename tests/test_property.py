"""Property test: ``ufldl.Network`` (the compiled core) equals ``ufldl.reference`` (plain NumPy) on random cases.

Hypothesis draws the whole case: the architecture (1-4 weight layers, widths 1-9), every layer's activation, the
output and loss (sigmoid / tanh / relu / identity with the squared loss; softmax with cross-entropy on integer
labels, one-hot rows or soft distributions), the weight decay (none, one lambda, one per layer), the KL sparsity
penalty (on a subset of the sigmoid hidden layers, any rho and beta), the dtype, the batch size (1, a few rows,
a few hundred, or enough rows that the core splits the batch into shards evaluated on several threads), the
memory layout and dtype of every array handed in (C order, Fortran order, row / column slices, reversed
views), whether theta is passed explicitly and whether a ``grad`` buffer is given. The arrays themselves come
from a NumPy generator seeded by a drawn integer (drawing thousands of floats one by one through Hypothesis
would be slow and shrink no better).

Everything ``helpers.assert_matches_reference`` compares must agree: the cost, each cost term, the gradient,
every layer's activations and ``forward``; also ``mean_activations``, the caller's ``grad`` buffer, and the
arrays passed in must come back untouched.

Tolerances: random cases include ill-conditioned ones (an output within rounding of its target, inputs of a
unit that cancel, rho_hat close to rho), where a correct core's rounding errors are large relative to the
quantity itself. Each comparison is therefore scaled by a first-order bound on its rounding errors
(``rounding_scales``; never less than the quantity's own size), and held to ``PROPERTY_TOLERANCES`` times it.
A relu unit whose pre-activation lies within rounding of 0 has no well-defined derivative to compare (the
float32 core and the float64 reference may put it on different sides of the kink), so rows with such a unit are
dropped from the batch first (``_away_from_relu_kinks``: about 0.2 % of the rows of an all-relu float32
network, practically none in float64).
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import ufldl
from ufldl import reference

from .helpers import (
    Tolerance,
    assert_close,
    assert_matches_reference,
    make_targets,
    randomize_biases,
    reference_params,
    sparsity_layers,
)

HIDDEN = ("sigmoid", "tanh", "relu", "identity")
# (output activation, loss, kind of targets)
OUTPUTS = (
    ("sigmoid", "squared", "values"),
    ("tanh", "squared", "values"),
    ("relu", "squared", "values"),
    ("identity", "squared", "values"),
    ("softmax", "cross_entropy", "labels"),
    ("softmax", "cross_entropy", "one_hot"),
    ("softmax", "cross_entropy", "soft"),
    ("sigmoid", "binary_cross_entropy", "multilabel"),
)
LAYOUTS = ("C", "F", "row_slice", "column_slice", "reversed")

# The core shards a batch over its threads once it holds at least 2 * 16384 activations (m * (n_1 + ... + n_L);
# min_elements_per_part in cpp/src/parallel.cpp) and 2 * 64 rows (min_shard_rows in cpp/src/network.cpp). The
# "sharded" batches hold at least SHARDED_ELEMENTS, with a margin should those thresholds grow a little.
SHARDED_ELEMENTS = 40_000
SHARDED_MIN_ROWS = 2_000

# Errors are measured against rounding_scales() (first-order bounds on the rounding errors, at least the size of
# the quantity itself), not against the quantity alone: see there. Worst over 20,000 random cases of this test:
#   float64: costs 1.4e-14, gradients 6.7e-15, activations 9e-16;
#   float32: costs 1.0e-7, gradients 8.6e-8, activations 2.3e-7 (the float32 core against the float64 reference
#   at the same float32 inputs: the core's own rounding, eps = 1.2e-7).
# float64 is held to 1e-10 (the bound asked for: far above rounding, far below any real error, such as a sum
# accumulated in float32); float32 to 2e-6, about ten times the worst measured.
PROPERTY_TOLERANCES = {
    np.dtype(np.float64): Tolerance(cost=1e-10, grad=1e-10, act=1e-10),
    np.dtype(np.float32): Tolerance(cost=2e-6, grad=2e-6, act=2e-6),
}

# Rows with a relu pre-activation Z_l closer to 0 than KINK_ULPS * eps * E_l (its rounding scale) are dropped.
KINK_ULPS = 256


# ---------------------------------------------------------------------------- the random case


@st.composite
def weight_decays(draw, n_layers):
    lam = st.floats(1e-6, 0.1)
    kind = draw(st.sampled_from(["none", "scalar", "per_layer"]))
    if kind == "none":
        return 0.0
    if kind == "scalar":
        return draw(lam)
    return tuple(draw(st.lists(st.just(0.0) | lam, min_size=n_layers, max_size=n_layers)))


@st.composite
def sparsities(draw, activations):
    sigmoid_hidden = [l for l in range(1, len(activations)) if activations[l - 1] == "sigmoid"]
    if not sigmoid_hidden or not draw(st.booleans()):
        return None
    every_hidden = len(sigmoid_hidden) == len(activations) - 1
    if every_hidden and draw(st.booleans()):
        layers = None  # every hidden layer
    else:
        layers = tuple(draw(st.lists(st.sampled_from(sigmoid_hidden), min_size=1, unique=True)))
    rho = draw(st.floats(0.005, 0.95))
    beta = draw(st.just(0.0) | st.floats(0.05, 5.0))
    return ufldl.KLSparsity(rho=rho, beta=beta, layers=layers)


@st.composite
def cases(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 9), min_size=n_layers + 1, max_size=n_layers + 1))
    output, loss, targets = draw(st.sampled_from(OUTPUTS))
    activations = [draw(st.sampled_from(HIDDEN)) for _ in range(n_layers - 1)] + [output]
    n_units = sum(sizes[1:])
    batch = draw(st.sampled_from(["one", "few", "hundreds", "sharded"]))
    if batch == "one":
        m = 1
    elif batch == "few":
        m = draw(st.integers(2, 40))
    elif batch == "hundreds":
        m = draw(st.integers(64, 400))
    else:
        m = max(SHARDED_MIN_ROWS, math.ceil(SHARDED_ELEMENTS / n_units)) + draw(st.integers(0, 63))
    dtype = np.dtype(draw(st.sampled_from(["float64", "float32"])))
    return dict(
        layer_sizes=sizes,
        activations=activations,
        loss=loss,
        targets=targets,
        weight_decay=draw(weight_decays(n_layers)),
        sparsity=draw(sparsities(activations)),
        dtype=dtype,
        m=m,
        # How X, dense Y and theta are handed in: memory layout, and dtype (the network's, or the other float).
        x_layout=draw(st.sampled_from(LAYOUTS)),
        x_dtype=draw(st.sampled_from(["float64", "float32"])),
        y_layout=draw(st.sampled_from(LAYOUTS)),
        label_dtype=draw(st.sampled_from(["int64", "int32", "uint8"])),
        label_strided=draw(st.booleans()),
        theta=draw(st.sampled_from(["own", "contiguous", "strided", "float64"])),
        grad_buffer=draw(st.booleans()),
        x_scale=draw(st.sampled_from([0.1, 1.0, 3.0])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _laid_out(A, layout, rng):
    """The values of 2-D ``A`` in an array of the given memory layout (a view where the layout needs one)."""
    m, n = A.shape
    if layout == "C":
        return np.ascontiguousarray(A)
    if layout == "F":
        return np.asfortranarray(A)
    if layout == "row_slice":  # every other row of a larger array
        big = rng.uniform(-9, 9, size=(2 * m, n)).astype(A.dtype)
        big[::2] = A
        return big[::2]
    if layout == "column_slice":  # every third column (from column 1) of a wider array
        big = rng.uniform(-9, 9, size=(m, 3 * n + 1)).astype(A.dtype)
        big[:, 1::3] = A
        return big[:, 1::3]
    assert layout == "reversed"  # negative strides in both dimensions
    return np.ascontiguousarray(A[::-1, ::-1])[::-1, ::-1]


def _magnitudes(net, X, theta):
    """The reference's activations ``[A_0, ..., A_L]`` in float64, and the magnitudes ``E_l`` that bound
    ``|Z_l|``, ``|A_l|`` and the size of their rounding errors (see ``rounding_scales``)."""
    weights, biases = reference_params(net, theta)
    X = np.asarray(X).astype(net.dtype).astype(np.float64)
    A = reference.forward(weights, biases, net.activations, X)
    E = [np.abs(X)]
    for l in range(1, net.n_layers + 1):
        E.append(np.maximum(E[-1] @ np.abs(weights[l - 1]).T + np.abs(biases[l - 1]), np.abs(A[l])))
    return weights, biases, A, E


def _away_from_relu_kinks(net, X, theta):
    """The rows of X none of whose relu units sits within rounding of its kink (pre-activation 0)."""
    relu = [l for l, name in enumerate(net.activations, start=1) if name == "relu"]
    if not relu:
        return X
    weights, biases, A, E = _magnitudes(net, X, theta)
    band = KINK_ULPS * np.finfo(net.dtype).eps
    keep = np.ones(X.shape[0], dtype=bool)
    for l in relu:
        Z = A[l - 1] @ weights[l - 1].T + biases[l - 1]
        keep &= np.all(np.abs(Z) > band * E[l], axis=1)
    return X[keep]


def rounding_scales(net, X, Y, theta=None):
    """What the rounding errors of each compared quantity scale with, for ``helpers.assert_matches_reference``.

    A random case can be ill-conditioned: an output a_i close to its target y_i (m = 1, one output unit), a
    relu or identity unit whose inputs cancel, a rho_hat close to rho (the KL term then nearly vanishes). The
    rounding errors of the core are then large relative to the quantity itself, and a tolerance relative to
    the quantity's own size (the default of ``assert_close``) would fail such cases however right the core is.
    These scales are instead first-order bounds on the rounding errors, in units of the dtype's epsilon (up to
    a modest constant: the tolerance), computed by running the reference's recurrences on magnitudes:

      forward   E_0 = |X|,  E_l = max(E_{l-1} |W_l|^T + |b_l|, |A_l|)   (bounds |Z_l|, |A_l| and their errors,
                                                                          every activation being 1-Lipschitz)
      output    squared: error(J_data) ~ J_data + sum |a - y| E_L / m,  error(D_L) ~ E_L (1 + |a - y|) / m;
                cross-entropy: error(J_data) ~ J_data + 2 sum_i max_k E_L,ik / m,  error(D_L) ~ max_k E_L,ik / m
      KL        error(rho_hat_j) ~ mean_i E_l,ij + rho_hat_j; error(KL) ~ KL + beta sum_j (the two log terms'
                sizes + |dKL/drho_hat_j| error(rho_hat_j)); the delta term s_j likewise
      backward  |D_{l-1}| <= (|D_l| |W_l| + |s|/m) |f'|, and its error (the error of D_l through |W_l|, the
                rounding of the product, and through f' for the curved sigmoid and tanh: |f''| <= 1 times E)
      gradient  error(dW_l) ~ error(D_l)^T |A_{l-1}| + |D_l|^T E_{l-1} + lambda_l |W_l|;
                error(db_l) ~ sum_i (error(D_l) + |D_l|)

    Each scale is at least the quantity's own size, so a well-conditioned case is held to the usual relative
    tolerance, and a term that the reference gives as exactly 0 (switched off) must still come out exactly 0.
    """
    weights, biases, A, E = _magnitudes(net, X, theta)
    X = A[0]
    m, L = X.shape[0], net.n_layers
    absW = [np.abs(W) for W in weights]
    scales = {"act": [float(np.max(E[l])) for l in range(1, L + 1)]}

    a = A[L]
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = np.eye(a.shape[1])[Y.astype(np.int64)]
    Y = Y.astype(net.dtype).astype(np.float64)
    sp = net.sparsity or ufldl.KLSparsity()
    _, _, _, terms = reference.cost_and_grad(weights, biases, X, Y, net.activations, net.loss, net.weight_decay,
                                             sparsity_layers(net), sp.rho, sp.beta)
    gap = np.abs(a - Y)
    if net.loss == "squared":
        data = terms["data"] + float(np.sum(gap * E[L])) / m
        err_D = E[L] * (1 + gap) / m
    else:
        row_max = E[L].max(axis=1, keepdims=True)
        data = terms["data"] + 2 * float(np.sum(row_max)) / m
        err_D = np.broadcast_to(row_max, a.shape) / m
    D = gap / m  # |D_L| (|f'| <= 1)

    rho, beta = sp.rho, sp.beta
    sparse, s, err_s = 0.0, {}, {}
    for l in sparsity_layers(net):
        r = reference.clip_rho_hat(A[l].mean(axis=0))
        err_r = E[l].mean(axis=0) + r
        slope = rho / r + (1 - rho) / (1 - r)
        sparse += beta * float(np.sum(rho * np.abs(np.log(rho / r)) + (1 - rho) * np.abs(np.log((1 - rho) / (1 - r)))
                                      + slope * err_r))
        s[l] = beta * np.abs(-rho / r + (1 - rho) / (1 - r))
        err_s[l] = beta * (rho / r**2 + (1 - rho) / (1 - r) ** 2) * err_r + s[l]
    if sparse:
        sparse += terms["sparsity"]
    decays = [net.weight_decay] * L if np.ndim(net.weight_decay) == 0 else list(net.weight_decay)
    scales.update(data=data, decay=terms["decay"], sparsity=sparse, cost=data + terms["decay"] + sparse)

    grad = 0.0
    for l in range(L, 0, -1):
        err_gW = err_D.T @ np.abs(A[l - 1]) + D.T @ E[l - 1] + decays[l - 1] * absW[l - 1]
        err_gb = np.sum(err_D + D, axis=0)
        grad = max(grad, float(np.max(err_gW)), float(np.max(err_gb)))
        if l > 1:
            P = D @ absW[l - 1] + s.get(l - 1, 0.0) / m  # bounds |D_l W_l + s_{l-1} / m|
            err_P = (err_D + D) @ absW[l - 1] + err_s.get(l - 1, 0.0) / m
            name = net.activations[l - 2]
            slope = np.abs(reference.activation_derivative(name, A[l - 1]))
            curved = name in ("sigmoid", "tanh")
            D = P * slope
            err_D = err_P * slope + (P * E[l - 1] if curved else 0.0)
    scales["grad"] = grad
    return scales


def _build(case, rng):
    net = ufldl.Network(case["layer_sizes"], case["activations"], loss=case["loss"],
                        weight_decay=case["weight_decay"], sparsity=case["sparsity"], dtype=case["dtype"],
                        random_state=int(rng.integers(2**31)))
    randomize_biases(net, rng)
    theta = None
    if case["theta"] != "own":
        values = net.theta.astype(np.float64) * rng.uniform(0.5, 1.5, size=net.n_params)
        if case["theta"] == "contiguous":
            theta = values.astype(net.dtype)
        elif case["theta"] == "strided":
            big = np.zeros(2 * net.n_params, dtype=net.dtype)
            big[1::2] = values
            theta = big[1::2]
        else:
            theta = values  # float64, converted for a float32 network
    return net, theta


def _targets(case, net, rng, m):
    kind = case["targets"]
    n_out = net.layer_sizes[-1]
    if kind == "labels":
        labels = rng.integers(0, n_out, size=m).astype(case["label_dtype"])
        if case["label_strided"]:
            big = np.zeros(2 * m, dtype=labels.dtype)
            big[::2] = labels
            labels = big[::2]
        return labels
    if kind == "one_hot":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=m)]
    else:
        Y = make_targets(rng, net, m)  # values in the output's range, or soft distributions
    return _laid_out(Y, case["y_layout"], rng)


# ---------------------------------------------------------------------------- the property


@settings(max_examples=200, deadline=None, derandomize=True)
@given(case=cases())
def test_core_matches_reference(case):
    rng = np.random.default_rng(case["seed"])
    net, theta = _build(case, rng)
    n_in = net.layer_sizes[0]
    X = (case["x_scale"] * rng.uniform(-1.0, 1.0, size=(case["m"], n_in))).astype(case["x_dtype"])
    X = _away_from_relu_kinks(net, X, theta)
    if X.shape[0] == 0:  # (a batch of one row that sat on a kink: try another row)
        X = _away_from_relu_kinks(net, np.full((1, n_in), 0.5, dtype=case["x_dtype"]), theta)
        if X.shape[0] == 0:
            return
    m = X.shape[0]
    X = _laid_out(X, case["x_layout"], rng)
    Y = _targets(case, net, rng, m)
    inputs = [(name, a, a.copy()) for name, a in (("X", X), ("Y", Y), ("theta", theta)) if a is not None]
    theta_before = net.theta.copy()

    tol = PROPERTY_TOLERANCES[net.dtype]
    scales = rounding_scales(net, X, Y, theta)
    cost_ref, grad_ref, _ = assert_matches_reference(net, X, Y, theta, tol=tol, scales=scales)

    # mean_activations: rho_hat of every hidden layer, in float64.
    weights, biases = reference_params(net, theta)
    acts_ref = reference.forward(weights, biases, net.activations, np.asarray(X).astype(net.dtype).astype(float))
    means = net.mean_activations(X, theta)
    assert len(means) == net.n_layers - 1
    for layer, mean in enumerate(means, start=1):
        assert mean.dtype == np.float64
        assert_close(mean, acts_ref[layer].mean(axis=0), tol.act, scales["act"][layer - 1], what=f"mean of A_{layer}")

    # A caller's grad buffer is filled in and returned (every entry written: it starts as NaN).
    if case["grad_buffer"]:
        buffer = np.full(net.n_params, np.nan, dtype=net.dtype)
        cost, grad = net.cost_and_grad(X, Y, theta, grad=buffer)
        assert grad is buffer
        assert_close(cost, cost_ref, tol.cost, scales["cost"], what="cost (grad buffer)")
        assert_close(grad, grad_ref, tol.grad, scales["grad"], what="gradient (grad buffer)")

    # Nothing handed in was written to, and net.theta is unchanged (also when another theta was evaluated).
    for name, array, before in inputs:
        np.testing.assert_array_equal(array, before, err_msg=f"{name} was modified")
    np.testing.assert_array_equal(net.theta, theta_before, err_msg="net.theta was modified")
