"""Numerical gradient checking by central differences.

For a cost ``J`` and a flat parameter vector ``theta``::

    numgrad_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)

and the check reports ``||numgrad - grad|| / ||numgrad + grad||``. In float64
a correct gradient gives about 1e-9 or less. The central difference itself is
off by order ``eps^2`` times the third derivative, so deeper networks or larger
weights may need ``eps = 1e-5``; relu must be checked away from its kink at 0.

Example, the tutorial's self-test::

    >>> import numpy as np
    >>> def h(x):
    ...     return x[0] ** 2 + 3 * x[0] * x[1], np.array([2 * x[0] + 3 * x[1], 3 * x[0]])
    >>> check_gradient(h, np.array([4.0, 10.0])) < 1e-9
    True
"""

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ufldl._lib.types import ArrayLike, Float64Array

__all__ = ["numerical_gradient", "check_gradient", "relative_difference"]


def _check_fun(fun: object) -> None:
    if not callable(fun):
        raise TypeError(f"fun must be callable; got {type(fun).__name__}")


def _check_eps(eps: float) -> float:
    # bool is an int subclass, but eps=True is surely a mistake.
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number; got {type(eps).__name__} {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0; got {eps!r}")
    return float(eps)


def _check_theta(theta: ArrayLike) -> Float64Array:
    """Validate theta and return a float64 copy that we are free to perturb."""
    try:
        arr = np.asarray(theta)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"theta must be a real numeric 1-D array; got {type(theta).__name__}"
        ) from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"theta must be a real numeric 1-D array (integer or floating dtype); "
            f"got dtype {arr.dtype}"
        )
    if arr.ndim != 1:
        raise ValueError(f"theta must be 1-D; got {arr.ndim}-D with shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("theta must not be empty; got shape (0,)")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(
            f"theta must be finite; got {int(np.count_nonzero(bad))} NaN or inf value(s), "
            f"the first {arr[first]} at index {first}"
        )
    return np.array(arr, dtype=np.float64, copy=True)


def _cost_of(result: Any) -> float:
    """The finite real scalar cost in fun's result (first element of a tuple)."""
    cost = result[0] if isinstance(result, tuple) else result
    arr = np.asarray(cost)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise ValueError(
            "fun must return a real scalar cost (or a (cost, grad) tuple); "
            f"got {type(cost).__name__} with shape {arr.shape} and dtype {arr.dtype}"
        )
    value = float(arr)
    if not np.isfinite(value):
        raise ValueError(f"fun must return a finite cost; got {value}")
    return value


def numerical_gradient(fun: Callable[[Float64Array], Any], theta: ArrayLike, eps: float = 1e-4) -> Float64Array:
    """Gradient of ``fun`` at ``theta`` by central differences.

    Parameters
    ----------
    fun : callable
        ``fun(theta)`` returns the cost, a finite real scalar, or a tuple
        ``(cost, grad)`` of which only the cost is used.
    theta : array_like, shape (n,)
        Point of evaluation, real and finite. Never modified: ``fun`` is called
        on a perturbed float64 copy.
    eps : float, default 1e-4
        Step, finite and > 0.

    Returns
    -------
    numgrad : ndarray of float64, shape (n,)
        ``(fun(theta + eps e_i) - fun(theta - eps e_i)) / (2 eps)`` for each i.
    """
    _check_fun(fun)
    work = _check_theta(theta)
    eps = _check_eps(eps)
    numgrad = np.empty_like(work)
    for i in range(work.size):
        original = work[i]
        work[i] = original + eps
        plus = _cost_of(fun(work))
        work[i] = original - eps
        minus = _cost_of(fun(work))
        work[i] = original  # restore exactly, not by adding eps back
        numgrad[i] = (plus - minus) / (2 * eps)
    return numgrad


def check_gradient(fun: Callable[[Float64Array], tuple[Any, ArrayLike]], theta: ArrayLike, eps: float = 1e-4) -> float:
    """Relative difference between the analytic and the numerical gradient.

    Parameters
    ----------
    fun : callable
        ``fun(theta)`` returns ``(cost, grad)``: a finite real scalar and an
        array of ``theta``'s shape.
    theta : array_like, shape (n,)
        Point of evaluation, real and finite. Never modified.
    eps : float, default 1e-4
        Step of the central differences, finite and > 0.

    Returns
    -------
    diff : float
        ``||numgrad - grad|| / ||numgrad + grad||`` (2-norms): about 1e-9 or
        less for a correct float64 gradient. 0.0 if both gradients are exactly
        zero; inf if they are opposite and nonzero.
    """
    _check_fun(fun)
    work = _check_theta(theta)
    eps = _check_eps(eps)

    result = fun(work.copy())
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(
            f"fun must return a (cost, grad) tuple; got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple) else "")
        )
    _cost_of(result)
    grad = np.asarray(result[1])
    if grad.shape != work.shape:
        raise ValueError(
            f"fun returned a gradient of shape {grad.shape}; expected theta's shape {work.shape}"
        )
    if grad.dtype.kind not in "iuf":
        raise ValueError(f"fun returned a gradient of dtype {grad.dtype}; expected a real dtype")
    grad = grad.astype(np.float64)
    if not np.all(np.isfinite(grad)):
        raise ValueError("fun returned a gradient with NaN or inf values; expected finite values")

    return relative_difference(numerical_gradient(fun, work, eps), grad)


def relative_difference(numgrad: ArrayLike, grad: ArrayLike) -> float:
    """``||numgrad - grad|| / ||numgrad + grad||`` (2-norms) of two arrays of one shape.

    0.0 if both are exactly zero; inf if they are opposite and nonzero.

    Parameters
    ----------
    numgrad, grad : array_like
        The two gradients, of one shape (for instance the numerical and the analytic gradient, (n_params,)).

    Returns
    -------
    float
        The relative difference, in [0, 1] for finite arrays (or inf).
    """
    numgrad = np.asarray(numgrad, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    numerator = float(np.linalg.norm(numgrad - grad))
    denominator = float(np.linalg.norm(numgrad + grad))
    if denominator == 0.0:
        return 0.0 if numerator == 0.0 else float("inf")
    return numerator / denominator
