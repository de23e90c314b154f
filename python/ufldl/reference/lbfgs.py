"""The NumPy twins of the core's L-BFGS kernels (``cpp/include/ufldl/lbfgs.hpp``): the two-loop recursion and
minFunc's cubic interpolation, written as ``docs/math.md#l-bfgs-direction`` and
``docs/math.md#l-bfgs-line-search`` state them (and as minFunc's ``lbfgs.m`` and ``polyinterp.m`` compute them).
"""

import math

import numpy as np

from ufldl._lib.types import ArrayLike, Float64Array

__all__ = ["lbfgs_two_loop", "lbfgs_polyinterp"]


def lbfgs_two_loop(S: ArrayLike, Y: ArrayLike, g: ArrayLike, hdiag: float) -> Float64Array:
    """The L-BFGS direction ``d = -H g`` by the two-loop recursion, ``docs/math.md#l-bfgs-direction``.

    C++ twin ``lbfgs_two_loop`` (cpp/src/lbfgs.cpp), which ``ufldl._core.lbfgs_two_loop`` exposes.

    Parameters
    ----------
    S, Y : ndarray, shape (k, n)
        The correction pairs ``s_i = x_{i+1} - x_i`` and ``y_i = g_{i+1} - g_i``, oldest first (k may be 0).
    g : ndarray, shape (n,)
        The gradient.
    hdiag : float
        The initial inverse Hessian ``H_0 = hdiag * I`` (minFunc: ``y's / y'y`` of the newest pair kept).

    Returns
    -------
    d : ndarray, shape (n,), float64
        The search direction.
    """
    S = np.asarray(S, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    q = -np.asarray(g, dtype=np.float64)
    k = S.shape[0]
    rho = [1.0 / float(Y[i] @ S[i]) for i in range(k)]
    alpha = [0.0] * k
    for i in range(k - 1, -1, -1):
        alpha[i] = rho[i] * float(S[i] @ q)
        q = q - alpha[i] * Y[i]
    r = hdiag * q
    for i in range(k):
        beta = rho[i] * float(Y[i] @ r)
        r = r + S[i] * (alpha[i] - beta)
    return r


def lbfgs_polyinterp(xa: float, fa: float, ga: float, xb: float, fb: float, gb: float, lo: float | None = None,
                     hi: float | None = None) -> float:
    """The ``polyinterp`` of minFunc for two points with values and slopes, ``docs/math.md#l-bfgs-line-search``.

    C++ twins ``lbfgs_cubic_min`` and ``lbfgs_cubic_min_bounded`` (cpp/src/lbfgs.cpp).

    Without bounds: the minimiser of the cubic interpolating ``(xa, fa, ga)`` and ``(xb, fb, gb)``, clamped to the
    interval between the points, or its midpoint when the cubic has no real minimiser. With bounds ``lo, hi``: the
    point of ``[lo, hi]`` where the cubic is least among ``lo``, ``hi``, ``xa``, ``xb`` and its critical points
    (the midpoint of the bounds if none of them lies in it).

    Parameters
    ----------
    xa, fa, ga : float
        The first point, its value and its slope.
    xb, fb, gb : float
        The second point, its value and its slope.
    lo, hi : float or None, default None
        Bounds of the step, both or neither.

    Returns
    -------
    float
        The chosen step.
    """
    if (lo is None) != (hi is None):
        raise ValueError("give both bounds lo and hi, or neither")
    if lo is None or hi is None:  # (both, by the check above)
        (x1, f1, g1), (x2, f2, g2) = sorted([(xa, fa, ga), (xb, fb, gb)], key=lambda p: p[0])
        d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2)
        disc = d1 * d1 - g1 * g2
        if disc < 0:
            return (xa + xb) / 2.0
        d2 = math.sqrt(disc)
        t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        return min(max(t, x1), x2)
    A = np.array([[xa**3, xa**2, xa, 1.0], [xb**3, xb**2, xb, 1.0], [3 * xa**2, 2 * xa, 1.0, 0.0],
                  [3 * xb**2, 2 * xb, 1.0, 0.0]])
    c = np.linalg.solve(A, np.array([fa, fb, ga, gb], dtype=np.float64))
    candidates = [lo, hi, xa, xb]
    if np.all(np.isfinite(c)):
        candidates += [float(r.real) for r in np.roots([3 * c[0], 2 * c[1], c[2]]) if abs(r.imag) == 0]
    best, where = math.inf, (lo + hi) / 2.0
    for x in candidates:
        if lo <= x <= hi:
            value = float(np.polyval(c, x))
            if value < best:
                best, where = value, x
    return where
