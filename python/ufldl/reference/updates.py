"""The twins of the C++ core's mini-batch optimiser steps (cpp/src/optim.cpp), ``docs/math.md#sgd-with-momentum``
and ``docs/math.md#adam``. Conventions as in :mod:`ufldl.reference`: flat parameter vectors, in their dtype.
"""

import math

import numpy as np

from ufldl._lib.types import FloatArray

__all__ = ["sgd_update", "adam_update"]


def sgd_update(theta: FloatArray, grad: FloatArray, velocity: FloatArray, lr: float, momentum: float,
               nesterov: bool) -> tuple[FloatArray, FloatArray]:
    """One SGD step with momentum, scikit-learn's form, ``docs/math.md#sgd-with-momentum``.

    C++ twin ``sgd_update`` (cpp/src/optim.cpp) works in place; this returns new arrays. The scalars are taken as
    Python floats, so float32 arrays are updated in float32, as in the C++.

    Parameters
    ----------
    theta, grad, velocity : ndarray, shape (n,)
        Parameters, the gradient at ``theta``, the velocity (zeros at the start).
    lr, momentum : float
        ``eta`` and ``mu``; ``mu = 0`` is plain gradient descent.
    nesterov : bool
        Step by ``mu v - eta g`` (with the new v) instead of ``v``.

    Returns
    -------
    theta, velocity : ndarray, shape (n,)
        ``theta + v`` (or the Nesterov step) and ``v = mu v - eta g``; for ``mu = 0``, ``theta - eta g`` and the
        velocity given, untouched.
    """
    lr, momentum = float(lr), float(momentum)
    if momentum == 0:
        return theta - lr * grad, velocity
    velocity = momentum * velocity - lr * grad
    return theta + (momentum * velocity - lr * grad if nesterov else velocity), velocity


def adam_update(theta: FloatArray, grad: FloatArray, m1: FloatArray, m2: FloatArray, t: int, lr: float, beta1: float,
                beta2: float, eps: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One Adam step, scikit-learn's form (``eps`` added to ``sqrt(m2)``), ``docs/math.md#adam``.

    C++ twin ``adam_update`` (cpp/src/optim.cpp) works in place; this returns new arrays. The step factor is a
    Python float (double), the rest in the arrays' dtype, as in the C++.

    Parameters
    ----------
    theta, grad, m1, m2 : ndarray, shape (n,)
        Parameters, the gradient at ``theta``, the first and second moments (zeros at the start).
    t : int
        The number of this update, ``t >= 1``.
    lr, beta1, beta2, eps : float
        The learning rate, the moments' decay rates and the denominator's epsilon.
    
    Returns
    -------
    theta, m1, m2 : ndarray, shape (n,)
        ``theta - lr sqrt(1 - b2^t) / (1 - b1^t) * m1 / (sqrt(m2) + eps)`` with the new
        ``m1 = b1 m1 + (1 - b1) g`` and ``m2 = b2 m2 + (1 - b2) g g``.
    """
    beta1, beta2, eps = float(beta1), float(beta2), float(eps)
    step = float(lr) * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    m1 = beta1 * m1 + (1 - beta1) * grad
    m2 = beta2 * m2 + (1 - beta2) * grad * grad
    return theta - step * m1 / (np.sqrt(m2) + eps), m1, m2
