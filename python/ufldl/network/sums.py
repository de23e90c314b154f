"""The cost and gradient as sums over chunks of rows, for data that does not fit one call: out of core, or
spread over machines (``docs/math.md#chunks-and-shards``).

The data term and its gradient are sums over examples; the KL penalty is not: it needs rho_hat over ALL the
rows before any gradient term. So a chunked evaluation of a sparse network takes two passes: first
``activation_sums`` of every chunk, added, give the global rho_hat; then ``partial_sums(X_c, Y_c,
rho_hat=...)`` of every chunk, added, and ``combine`` adds the decay once, the KL term at the global rho_hat,
and divides by the total m. Without a KL penalty one pass (``partial_sums``) suffices, and so it does when the
penalty is on the first hidden layer only (``one_pass_applies``): ``one_pass_sums`` of every chunk, added, carry
what the KL term needs from the rows, and ``combine`` applies it at the global rho_hat
(``docs/math.md#one-pass-kl-sums``). The sums are float64 for both dtypes, and adding them in a fixed order
gives results independent of where each chunk ran.
"""

from dataclasses import dataclass

from typing import Self

import numpy as np

from ufldl._lib.types import ArrayLike, Float64Array, FloatArray, ThetaLike
from ufldl.layers import KLSparsity
from ufldl.network.interface import NetworkInterface

__all__ = ["ActivationSums", "PartialSums", "OnePassSums", "ChunkSums"]


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


@dataclass(frozen=True)
class OnePassSums:
    """One chunk's (or several added chunks') sums for a one-pass evaluation (see :meth:`Network.one_pass_sums`).

    Everything the cost and gradient of the rows need, the first hidden layer's KL term included, although that
    term's factor ``k = beta (-rho / r + (1 - rho) / (1 - r))`` (``r`` the clipped global rho_hat) is known only
    once every chunk's ``activation_sums`` are added: it enters the gradient as ``k_j * derivative_input_sums[j]``
    (``dJ/dW_1``) and ``k_j * derivative_sums[j]`` (``dJ/db_1``), which ``combine`` adds after the reduction.
    ``F`` below is ``f_1'(Z_1)`` (``A_1 (1 - A_1)`` for the sigmoid), row i scaled by its sample weight ``w_i``
    (1 without weights).

    Precision: within a chunk the core accumulates the data cost and every column sum (of ``A_1``, of ``F``, of
    the deltas: the bias gradients) in float64, whatever the network's dtype; the products (the weight
    gradients and ``F^T X``) are BLAS products in the network's dtype, and the bias gradients are rounded to
    it once, as the chunk's mean, before being scaled back to a sum in float64. The chunk's shards (threads)
    and the chunks are added in float64.

    Attributes
    ----------
    m : int or float
        Rows summed (with sample weights, the sum of their weights: combine divides by it).
    data : float
        Sum over the rows of the data cost (not divided by m).
    grad : ndarray of float64, shape (n_params,)
        Sum over the rows of the data term's gradient, WITHOUT the KL term and without weight decay.
    activation_sums : ndarray of float64, shape (n_1,)
        ``sum_i w_i A_1[i, :]``: the global rho_hat is ``activation_sums / m`` of the total.
    derivative_sums : ndarray of float64, shape (n_1,)
        ``colsum F``.
    derivative_input_sums : ndarray of float64, shape (n_1, n_0)
        ``F^T X``.
    """

    m: float  # (an int without sample weights)
    data: float
    grad: Float64Array
    activation_sums: Float64Array
    derivative_sums: Float64Array
    derivative_input_sums: Float64Array

    def __add__(self, other: Self) -> "OnePassSums":
        if not isinstance(other, OnePassSums):
            return NotImplemented
        return OnePassSums(self.m + other.m, self.data + other.data, self.grad + other.grad,
                           self.activation_sums + other.activation_sums, self.derivative_sums + other.derivative_sums,
                           self.derivative_input_sums + other.derivative_input_sums)

    @property
    def rho_hat(self) -> Float64Array:
        """ndarray of float64, shape (n_1,): the mean activations of the first hidden layer over these rows."""
        return self.activation_sums / self.m


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

    @property
    def one_pass_applies(self) -> bool:
        """bool: whether :meth:`one_pass_sums` applies, a KL penalty (beta > 0) on the first hidden layer only
        (the tutorial's sparse autoencoder; any depth, activations, loss and decay)."""
        sparsity = self.sparsity
        if sparsity is None or not sparsity.beta > 0:
            return False
        layers = range(1, self.n_layers) if sparsity.layers is None else sparsity.layers
        return set(layers) == {1}

    def use_one_pass(self, one_pass: bool | None = None) -> bool:
        """Whether a chunked evaluation should take one pass of :meth:`one_pass_sums` (the drivers of
        ``ufldl.scale`` ask this).

        Parameters
        ----------
        one_pass : bool or None, default None
            None: when :attr:`one_pass_applies`; True: one pass, which must apply; False: ``activation_sums``
            then ``partial_sums`` (two passes with a KL penalty).

        Returns
        -------
        bool
            Whether to use :meth:`one_pass_sums`.

        Raises
        ------
        ValueError
            If ``one_pass`` is True but the one-pass sums do not apply.
        """
        if one_pass is None:
            return self.one_pass_applies
        if one_pass is not True and one_pass is not False:
            raise TypeError(f"one_pass must be True, False or None; got {one_pass!r}")
        if one_pass:
            self._check_one_pass("one_pass=True")
        return one_pass

    def _check_one_pass(self, argument: str) -> None:
        """ValueError naming ``argument`` unless the one-pass sums apply to this network."""
        if self.one_pass_applies:
            return
        sparsity = self.sparsity
        if sparsity is None or not sparsity.beta > 0:
            why = "this network has no KL penalty (partial_sums alone is one pass)"
        else:
            layers = tuple(range(1, self.n_layers)) if sparsity.layers is None else tuple(sparsity.layers)
            why = (f"its KL penalty is on hidden layers {layers}, whose deltas below layer 1 would need the global "
                   "rho_hat (use activation_sums, then partial_sums: two passes)")
        raise ValueError(f"{argument}: the one-pass sums need the KL penalty on the first hidden layer only "
                         f"(sparsity=KLSparsity(..., layers=(1,))); {why}")

    def _one_pass_kl(self, total: OnePassSums) -> tuple[Float64Array, float]:
        """The gradient sum with the first layer's KL term at the rho_hat of ``total``, and that KL cost (as the
        core's ``kl_sparsity``: rho_hat clipped into [eps, 1 - eps], eps of the network's dtype)."""
        sparsity = self.sparsity or KLSparsity(beta=0.0)  # (never None here: combine checked _check_one_pass)
        rho, beta = sparsity.rho, sparsity.beta
        eps = float(np.finfo(self.dtype).eps)
        r = np.clip(total.activation_sums * (1.0 / total.m), eps, 1.0 - eps)
        kl = beta * float(np.sum(rho * np.log(rho / r) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - r))))
        k = beta * (-rho / r + (1.0 - rho) / (1.0 - r))
        weights, _, biases = self.parameter_slices[0]
        grad = total.grad.copy()
        grad[weights] += (k[:, None] * total.derivative_input_sums).ravel()
        grad[biases] += k * total.derivative_sums
        return grad, kl

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

    def combine(self, total: PartialSums | OnePassSums, theta: ThetaLike = None) -> tuple[float, FloatArray]:
        """The cost and gradient of all the rows from the sum of their chunks' :meth:`partial_sums` (or
        :meth:`one_pass_sums`).

        Parameters
        ----------
        total : PartialSums or OnePassSums
            The sum over a partition of the rows (added in a fixed order for reproducible results). A
            OnePassSums gets the first layer's KL cost and gradient here, at the rho_hat of its total.
        theta : array_like, shape (n_params,), optional
            The parameters the sums were computed at (default ``self.theta``): the weight decay is added here.

        Returns
        -------
        cost : float
        grad : ndarray, shape (n_params,), of the network's dtype
            Equal to ``cost_and_grad`` on the concatenated rows up to the rounding of the additions.
        """
        if not isinstance(total, (PartialSums, OnePassSums)):
            raise TypeError(f"total must be PartialSums (from partial_sums) or OnePassSums (from one_pass_sums); got "
                            f"{type(total).__name__}")
        theta = self.theta if theta is None else np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},); got {theta.shape}")
        if isinstance(total, OnePassSums):
            self._check_one_pass("total")
            summed, kl = self._one_pass_kl(total)
        else:
            summed, kl = total.grad, total.kl
        grad = summed / total.m
        cost = total.data / total.m + kl
        decays = self.weight_decay if isinstance(self.weight_decay, tuple) else (self.weight_decay,) * self.n_layers
        for lam, (weights, _, _) in zip(decays, self.parameter_slices):
            W = np.asarray(theta[weights], dtype=np.float64)
            cost += 0.5 * lam * float(W @ W)
            grad[weights] += lam * W
        return cost, grad.astype(self.dtype)
