"""The cost and gradient as sums over chunks of rows, for data that does not fit one call: out of core, or
spread over machines (``docs/math.md#chunks-and-shards``).

The data term and its gradient are sums over examples; the KL penalty is not: it needs rho_hat over ALL the
rows before any gradient term. So a chunked evaluation of a sparse network takes two passes: first
``activation_sums`` of every chunk, added, give the global rho_hat; then ``partial_sums(X_c, Y_c,
rho_hat=...)`` of every chunk, added, and ``combine`` adds the decay once, the KL term at the global rho_hat,
and divides by the total m. Without a KL penalty one pass (``partial_sums``) suffices. The sums are float64
for both dtypes, and adding them in a fixed order gives results independent of where each chunk ran.
"""

from dataclasses import dataclass

from typing import Self

import numpy as np

from ufldl._lib.types import ArrayLike, Float64Array, FloatArray, ThetaLike
from ufldl.network.interface import NetworkInterface

__all__ = ["ActivationSums", "PartialSums", "ChunkSums"]


@dataclass(frozen=True)
class ActivationSums:
    """Column sums of the hidden activations of some rows: ``m`` rows (with sample weights, their sum), ``sums``
    float64 of shape (n_1 + ... + n_L,) (unit j of layer l at n_1 + ... + n_{l-1} + j; the output layer's
    entries are 0; with sample weights, the weighted sums)."""

    m: float  # (an int without sample weights)
    sums: Float64Array

    def __add__(self, other: "ActivationSums") -> "ActivationSums":
        return ActivationSums(self.m + other.m, self.sums + other.sums)

    @property
    def rho_hat(self) -> Float64Array:
        """ndarray of float64: the mean activations of these rows, what ``partial_sums`` takes."""
        return self.sums / self.m


@dataclass(frozen=True)
class PartialSums:
    """One chunk's (or several added chunks') unnormalised cost and gradient (see :meth:`Network.partial_sums`).

    Attributes
    ----------
    m : int or float
        Rows summed (with sample weights, the sum of their weights: combine divides by it).
    data : float
        Sum over the rows of the data cost (not divided by m).
    grad : ndarray of float64, shape (n_params,)
        Sum over the rows of the data term's gradient, with the KL term's at ``rho_hat`` (no weight decay).
    rho_hat : ndarray of float64 or None
        The rho_hat the KL gradient was computed with (None without a KL penalty).
    kl : float
        The KL penalty at ``rho_hat`` (the same for every chunk: counted once by ``combine``).
    """

    m: float  # (an int without sample weights)
    data: float
    grad: Float64Array
    rho_hat: Float64Array | None
    kl: float

    def __add__(self, other: Self) -> "PartialSums":
        same = (self.rho_hat is None and other.rho_hat is None) or (
            self.rho_hat is not None and other.rho_hat is not None and np.array_equal(self.rho_hat, other.rho_hat))
        if not same:
            raise ValueError("partial sums computed with different rho_hat cannot be added: every chunk must use "
                             "the rho_hat of all the rows")
        return PartialSums(self.m + other.m, self.data + other.data, self.grad + other.grad, self.rho_hat, self.kl)


class ChunkSums(NetworkInterface):
    """The chunked evaluation of :class:`ufldl.Network`, written on its public interface
    (``partial_sums`` itself, which needs the compiled engine, is in ``ufldl.network``)."""

    def _checked_rho_hat(self, rho_hat: ArrayLike | None) -> Float64Array | None:
        sparse = self.sparsity is not None and self.sparsity.beta > 0
        if not sparse:
            if rho_hat is not None:
                raise ValueError("rho_hat is for networks with a KL penalty; this one has none (pass rho_hat=None)")
            return None
        units = sum(self.layer_sizes[1:])
        if rho_hat is None:
            raise ValueError("rho_hat is required with a KL penalty: the mean activations over ALL the rows, from "
                             "the sum of every chunk's activation_sums (.rho_hat); a chunk's own rho_hat would give "
                             "a wrong gradient")
        rho_hat = np.asarray(rho_hat, dtype=np.float64)
        if rho_hat.shape != (units,) or not np.isfinite(rho_hat).all():
            raise ValueError(f"rho_hat must be {units} finite float64 values (n_1 + ... + n_L); got shape "
                             f"{rho_hat.shape}")
        return rho_hat

    def activation_sums(self, X: ArrayLike, theta: ThetaLike = None, *,
                        sample_weight: ArrayLike | None = None) -> ActivationSums:
        """The first pass of a chunked sparse evaluation: this chunk's column sums of the hidden activations.

        Parameters
        ----------
        X : array_like, shape (m, n_0)
        theta : array_like, shape (n_params,), optional
        sample_weight : array_like, shape (m,), optional
            The rows' weights (docs/math.md#sample-weights): weighted sums, and ``m`` the weights' sum.

        Returns
        -------
        ActivationSums
            Add them over the chunks; ``.rho_hat`` of the total is what ``partial_sums`` takes.
        """
        m, hidden = self.hidden_activation_sums(X, theta, sample_weight=sample_weight)
        sums = np.zeros(sum(self.layer_sizes[1:]), dtype=np.float64)  # (the output layer's entries stay 0)
        if hidden:
            sums[:sum(self.layer_sizes[1:-1])] = np.concatenate(hidden)
        return ActivationSums(m, sums)

    def combine(self, total: PartialSums, theta: ThetaLike = None) -> tuple[float, FloatArray]:
        """The cost and gradient of all the rows from the sum of their chunks' :meth:`partial_sums`.

        Parameters
        ----------
        total : PartialSums
            The sum over a partition of the rows (added in a fixed order for reproducible results).
        theta : array_like, shape (n_params,), optional
            The parameters the sums were computed at (default ``self.theta``): the weight decay is added here.

        Returns
        -------
        cost : float
        grad : ndarray, shape (n_params,), of the network's dtype
            Equal to ``cost_and_grad`` on the concatenated rows up to the rounding of the additions.
        """
        if not isinstance(total, PartialSums):
            raise TypeError(f"total must be PartialSums (from partial_sums); got {type(total).__name__}")
        theta = self.theta if theta is None else np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},); got {theta.shape}")
        grad = total.grad / total.m
        cost = total.data / total.m + total.kl
        decays = self.weight_decay if isinstance(self.weight_decay, tuple) else (self.weight_decay,) * self.n_layers
        for lam, (weights, _, _) in zip(decays, self.parameter_slices):
            W = np.asarray(theta[weights], dtype=np.float64)
            cost += 0.5 * lam * float(W @ W)
            grad[weights] += lam * W
        return cost, grad.astype(self.dtype)
