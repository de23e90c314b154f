"""What every ``pytorch`` row of the benchmarks shares: ufldl's objectives written with torch tensors, torch's
L-BFGS set up against ufldl's minFunc, and the check that the two compute the same cost and gradient.

torch is optional, never a dependency of ufldl: ``pip install -r benchmarks/requirements-torch.txt``.
:func:`import_torch` skips the calling benchmark (``pytest.importorskip``) when it is not installed.

Parameters are one flat float tensor in ``ufldl.Network``'s layout, ``[W_1, ..., W_L, b_1, ..., b_L]`` (each
``W_l`` of shape ``(n_l, n_{l-1})``, row-major), viewed into the blocks, so that autograd's gradient is one flat
vector laid out as ufldl's. The maths is ``ufldl.reference.cost_and_grad``'s (docs/math.md#cost).
"""

import math
from dataclasses import dataclass

import numpy as np
import pytest

import ufldl

#: The implementation name of every PyTorch row (``extra_info["implementation"]``), for report.py's ratios.
ROW = "pytorch"

#: Relative agreement of a torch cost and gradient with ``Network.cost_and_grad`` at the same theta, float64.
UFLDL_RTOL = 1e-10

#: ufldl.minimize's L-BFGS stopping tolerances (minFunc's optTol and progTol), see :func:`lbfgs`.
GTOL, PROG_TOL = 1e-5, 1e-9


def import_torch():
    """torch, with its intra-op pool set to the threads of ufldl's own BLAS pool; skips the test without it."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(ufldl.blas_info()["num_threads"])
    return torch


def torch_info():
    """What ``extra_info["torch"]`` records (report.py prints it)."""
    import torch  # noqa: PLC0415  (only once import_torch() has found it)

    return {"version": torch.__version__, "num_threads": torch.get_num_threads(),
            "mkl": torch.backends.mkl.is_available()}


def objective(torch, sizes, activations, loss, X, Y, weight_decay=0.0, sparsity_layers=(), rho=0.01, beta=3.0):
    """``cost(p)``, a 0-d tensor, for the flat parameter tensor ``p``, as ``reference.cost_and_grad`` defines it.

    ``X`` a float tensor (m, n_0); ``Y`` float targets (m, n_L) with ``loss="squared"``, int64 labels (m,) with
    ``loss="cross_entropy"`` (last activation ``"softmax"``). ``weight_decay`` one lambda or one per layer.
    """
    n_layers, activations = len(sizes) - 1, tuple(activations)
    if len(activations) != n_layers:
        raise ValueError(f"activations must name {n_layers} layers; got {list(activations)}")
    if loss not in ("squared", "cross_entropy") or (loss == "cross_entropy") != (activations[-1] == "softmax"):
        raise ValueError(f"supported: loss 'squared' (no softmax) or 'cross_entropy' with a softmax output; got "
                         f"loss {loss!r} after a {activations[-1]!r} output")
    hidden = {"sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}
    unknown = [a for a in activations[:-1] + (activations[-1:] if loss == "squared" else ()) if a not in hidden]
    if unknown:
        raise ValueError(f"hidden activations must be among {sorted(hidden)}; got {unknown}")
    decays = [float(weight_decay)] * n_layers if np.ndim(weight_decay) == 0 else [float(d) for d in weight_decay]
    shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    ends = np.cumsum([math.prod(s) for s in shapes] + list(sizes[1:])).tolist()
    starts = [0] + ends[:-1]
    m, eps = X.shape[0], torch.finfo(X.dtype).eps

    def cost(p):
        if p.numel() != ends[-1]:
            raise ValueError(f"p must hold {ends[-1]} parameters for layers {list(sizes)}; got {p.numel()}")
        blocks = [p[a:b] for a, b in zip(starts, ends)]
        weights = [w.view(shape) for w, shape in zip(blocks[:n_layers], shapes)]
        biases = blocks[n_layers:]
        A, penalty = X, 0.0
        for l, (W, b, name) in enumerate(zip(weights[:-1], biases[:-1], activations[:-1]), start=1):
            A = hidden[name](torch.addmm(b, A, W.T))  # Z_l = A_{l-1} W_l^T + b_l
            if l in sparsity_layers:  # rho_hat clipped into [eps, 1 - eps] as reference.clip_rho_hat
                rho_hat = A.mean(dim=0).clamp(eps, 1 - eps)
                kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
                penalty = penalty + beta * kl.sum()
        Z = torch.addmm(biases[-1], A, weights[-1].T)
        if loss == "cross_entropy":
            data = torch.nn.functional.cross_entropy(Z, Y)  # -(1/m) sum_i log softmax(z_i)[y_i]
        else:
            diff = hidden[activations[-1]](Z) - Y
            data = 0.5 * (diff * diff).sum() / m
        decay = sum(0.5 * lam * (W * W).sum() for lam, W in zip(decays, weights) if lam)
        return data + decay + penalty

    return cost


def cost_and_grad(torch, cost, theta):
    """``(cost, gradient)`` as a float and a flat NumPy array, by autograd, at the NumPy vector ``theta``."""
    p = torch.tensor(theta, requires_grad=True)  # a copy, in theta's dtype
    loss = cost(p)
    loss.backward()
    return float(loss.detach()), p.grad.numpy()


def assert_matches_ufldl(impl, got, want, rtol=UFLDL_RTOL):
    """``got`` and ``want`` are ``(cost, flat gradient)`` at the same theta (want: ``Network.cost_and_grad``)."""
    (cost, grad), (want_cost, want_grad) = got, want
    assert grad.shape == want_grad.shape, f"{impl}: gradient shape {grad.shape}, ufldl's {want_grad.shape}"
    cost_diff = abs(cost - want_cost) / abs(want_cost)
    assert cost_diff <= rtol, f"{impl}: cost {cost!r}, ufldl's {want_cost!r} (relative {cost_diff:.2e} > {rtol})"
    want64 = np.asarray(want_grad, dtype=np.float64)
    grad_diff = np.linalg.norm(np.asarray(grad, dtype=np.float64) - want64) / np.linalg.norm(want64)
    assert grad_diff <= rtol, f"{impl}: gradient off ufldl's by {grad_diff:.2e} relative (> {rtol})"
    return max(cost_diff, grad_diff)


@dataclass
class LbfgsRun:
    theta: np.ndarray  # the final parameters, float64
    n_iter: int
    n_evals: int  # every evaluation of the cost, the first one included (as ufldl counts them)
    message: str


def lbfgs_options(n_params, max_iter, max_corrections, max_evals=None):
    """``torch.optim.LBFGS``'s keywords for a run comparable with ``ufldl.minimize(method="lbfgs")``.

    minFunc's Corr is ``history_size``; ``max_iter`` counts iterations in both. The stopping tests differ in
    their norms: ufldl stops on ``sum |g| <= gtol``, ``sum |t d| <= tol`` and a relative cost change
    ``< tol``; torch on ``max |g| <= tolerance_grad``, ``max |t d| <= tolerance_change`` and an absolute change
    ``< tolerance_change``. Dividing ufldl's tolerances by n makes each torch test imply ufldl's (``sum <= n
    max``), so torch never stops on one of them where ufldl would go on; it may run longer. ufldl stops after
    the first iteration ending with more than ``max_evals`` evaluations (default ``max(1000, 2 max_iter)``);
    torch at ``current_evals >= max_eval``, hence the + 1 (torch's line search also stops at the cap, where
    minFunc's may go past it).
    """
    max_evals = max(1000, 2 * max_iter) if max_evals is None else max_evals
    return {"lr": 1.0, "max_iter": max_iter, "max_eval": max_evals + 1, "history_size": max_corrections,
            "tolerance_grad": GTOL / n_params, "tolerance_change": PROG_TOL / n_params,
            "line_search_fn": "strong_wolfe"}


def lbfgs(torch, cost, theta0, max_iter, max_corrections):
    """One ``LBFGS.step`` (which runs up to ``max_iter`` iterations) from a float64 copy of ``theta0``."""
    p = torch.tensor(np.asarray(theta0, dtype=np.float64), requires_grad=True)
    options = lbfgs_options(p.numel(), max_iter, max_corrections)
    optimizer = torch.optim.LBFGS([p], **options)

    def closure():
        optimizer.zero_grad()
        loss = cost(p)
        loss.backward()
        return loss

    optimizer.step(closure)
    state = optimizer.state[p]
    n_iter, n_evals = int(state.get("n_iter", 0)), int(state["func_evals"])
    stop = ("max_iter" if n_iter == max_iter else "max_eval" if n_evals >= options["max_eval"]
            else "a tolerance test")
    return LbfgsRun(p.detach().numpy().copy(), n_iter, n_evals, f"torch.optim.LBFGS stopped on {stop}")
