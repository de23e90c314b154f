"""The :class:`ufldl.Network` methods written on its public interface alone, as ``collections.abc``'s mixin
methods are written on a few abstract ones: they use ``theta``, ``weights``, ``biases``, ``layer_sizes``,
``n_layers``, ``dtype``, ``loss`` and ``layer_activations``, never the compiled engine or a private attribute.
``ufldl.network`` (which holds the parameters and every call into the engine) mixes them into ``Network``.
"""

from contextlib import AbstractContextManager
from typing import Self

import numpy as np

from ufldl import io, reference
from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.sparse import as_rows, require_finite_rows
from ufldl._lib.validation import random_generator
from ufldl.gradcheck import numerical_gradient, relative_difference
from ufldl._lib.types import (ArrayLike, Float64Array, FloatArray, PathLike, RandomStateLike, RowsLike, Targets,
                              ThetaLike)
from ufldl.layers import as_targets, as_theta, read_only, sample_weights
from ufldl.network.interface import NetworkInterface

__all__ = ["DerivedMethods"]

# mean_activations works through blocks of rows whose widest hidden layer holds about this many numbers.
_MEAN_BLOCK_ELEMENTS = 1 << 20


class DerivedMethods(NetworkInterface):
    """The part of :class:`ufldl.Network` built on its public attributes (see the module's docstring)."""

    def __repr__(self) -> str:
        return (f"Network(layer_sizes={list(self.layer_sizes)}, activations={list(self.activations)}, "
                f"loss={self.loss!r}, weight_decay={self.weight_decay!r}, sparsity={self.sparsity!r}, "
                f"dtype={str(self.dtype)!r})")

    def save(self, path: PathLike, *, compress: bool = False) -> None:
        """Write the network to a portable ``.npz`` at exactly ``path`` (atomic; no pickle; see ``ufldl.io``).

        Read it back with ``ufldl.load(path)``.

        Parameters
        ----------
        path : str or os.PathLike
            The file, written exactly there (conventionally ``.npz``); an existing file is replaced atomically.
        compress : bool, default False
            Deflate the archive's members (``numpy.savez_compressed``).
        """
        io.save(self, path, compress=compress)

    def cost(self, X: RowsLike, Y: RowsLike, theta: ThetaLike = None, *,
             sample_weight: ArrayLike | None = None) -> float:
        """The cost J (float) at ``theta`` (default ``self.theta``); arguments as in ``cost_and_grad``.

        Parameters
        ----------
        X, Y, theta : array_like
            As in :meth:`cost_and_grad`: shapes (m, n_0), (m, n_L) or (m,), and (n_params,) (default ``self.theta``).
        sample_weight : array_like, shape (m,), optional
            As in :meth:`cost_and_grad`.

        Returns
        -------
        float
            The cost J.
        """
        return self.cost_and_grad(X, Y, theta, sample_weight=sample_weight)[0]

    # ------------------------------------------------------------------ initial parameters

    @renamed_keyword("seed", "random_state")
    def initialize(self, random_state: RandomStateLike = None) -> Self:
        """Draw new initial weights (the tutorial's scheme) and zero the biases.

        Parameters
        ----------
        random_state : int, numpy.random.Generator, numpy.random.RandomState or None
            As in the constructor (formerly ``seed``).

        Returns
        -------
        self : Network
        """
        rng = random_generator(random_state, "random_state")
        for W in self.weights:  # views into theta: written in place
            n_out, n_in = W.shape
            W[...] = reference.init_weights(n_in, n_out, rng)
        for b in self.biases:
            b[...] = 0.0
        return self

    # ------------------------------------------------------------------ evaluation

    def forward(self, X: RowsLike, theta: ThetaLike = None, *, start: int = 1, stop: int | None = None) -> FloatArray:
        """The output of layer ``stop`` (default: the network's output ``A_L``), shape ``(m, n_stop)``, for the
        input ``X`` of layer ``start`` (default: the network's input), shape ``(m, n_{start-1})``."""
        return self.layer_activations(X, theta, start=start, stop=stop)[-1]

    def mean_activations(self, X: RowsLike, theta: ThetaLike = None, *,
                         sample_weight: ArrayLike | None = None) -> list[Float64Array]:
        """``rho_hat`` of every hidden layer: list of float64 arrays, entry l-1 of shape (n_l,), for l = 1..L-1
        (with ``sample_weight``, shape (m,), the weighted means: docs/math.md#sample-weights).

        The output layer is not computed, and X is processed in blocks of rows so that memory stays bounded
        for any number of examples.
        """
        m, sums = self.hidden_activation_sums(X, theta, sample_weight=sample_weight)
        return [total / m for total in sums]

    def hidden_activation_sums(self, X: RowsLike, theta: ThetaLike = None, *,
                               sample_weight: ArrayLike | None = None) -> tuple[float, list[Float64Array]]:
        """``(m, sums)``: the rows of X and the column sums of every hidden layer's activations over them (list
        of float64 arrays, entry l-1 of shape (n_l,)), in blocks of rows as :meth:`mean_activations`. With
        ``sample_weight`` (shape (m,)): the weights' sum and the weighted column sums ``sum_i w_i a_i``."""
        sizes = self.layer_sizes
        X = as_rows(X, "X", sizes[0], self.dtype)  # (sparse X: blocks of CSR rows)
        w = sample_weights(sample_weight, X.shape[0])
        m: float = X.shape[0] if w is None else float(w.sum())
        if self.n_layers == 1:
            return m, []
        theta = as_theta(theta, self.theta)  # converted once, not per block
        sums = [np.zeros(n, dtype=np.float64) for n in sizes[1:-1]]
        block = max(1, _MEAN_BLOCK_ELEMENTS // max(sizes[1:-1]))
        for start in range(0, X.shape[0], block):
            hidden = self.layer_activations(X[start:start + block], theta, stop=self.n_layers - 1)
            for total, A in zip(sums, hidden):
                total += A.sum(axis=0, dtype=np.float64) if w is None else w[start:start + block] @ A.astype(np.float64)
        return m, sums

    # ------------------------------------------------------------------ for training

    def training_data(self, X: RowsLike, Y: RowsLike) -> tuple[FloatArray, Targets]:
        """X and Y converted once for repeated evaluations: the network's dtype, C order, checked finite.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (m, n_0)
        Y : array-like or scipy.sparse matrix, shape (m, n_L), or (m,) integer labels for cross-entropy

        Returns
        -------
        X : ndarray or scipy.sparse CSR matrix, shape (m, n_0)
            Sparse X as CSR (CSC converted once, O(nnz)), never densified.
        Y : ndarray, shape (m, n_L) of the network's dtype, or (m,) int64; or CSR (sparse targets)
        """
        X = as_rows(X, "X", self.layer_sizes[0], self.dtype)
        Y = as_targets(Y, X.shape[0], self.layer_sizes[-1], self.loss, self.dtype)
        require_finite_rows(X, "X")
        if Y.dtype.kind == "f":
            require_finite_rows(Y, "Y")
        return X, Y

    def parameters_read_only(self) -> AbstractContextManager[None]:
        """Inside the block, ``theta``, ``weights`` and ``biases`` are read-only (writing raises ValueError);
        their flags are restored on the way out. Solvers hold it around user callbacks: they own the
        parameters while they run."""
        return read_only((self.theta, *self.weights, *self.biases))  # the base first

    def copy(self) -> Self:
        """An independent network with the same architecture, hyperparameters and parameters."""
        other = type(self)(self.layer_sizes, self.activations, self.loss, self.weight_decay, self.sparsity,
                           self.dtype, random_state=0)
        other.theta = self.theta
        return other

    # ------------------------------------------------------------------ gradient checking

    def check_gradient(self, X: RowsLike, Y: RowsLike, eps: float = 1e-4) -> dict[str, float]:
        """Compare the analytic gradient with central differences, block by block.

        Costs two evaluations per parameter: meant for small networks and batches.

        Parameters
        ----------
        X, Y : array_like
            As in ``cost_and_grad``.
        eps : float, default 1e-4
            Step of the central differences, > 0. Use 1e-5 for deep networks or tanh (see the spec).

        Returns
        -------
        diffs : dict of str to float
            ``||num - ana|| / ||num + ana||`` for each block ``"W1"``, ``"b1"``, ..., and ``"all"``.
        """
        X = as_rows(X, "X", self.layer_sizes[0], self.dtype)
        Y = as_targets(Y, X.shape[0], self.layer_sizes[-1], self.loss, self.dtype)

        def fun(theta: FloatArray) -> tuple[float, FloatArray]:
            return self.cost_and_grad(X, Y, theta)

        theta = self.theta.astype(np.float64)
        analytic = fun(theta)[1].astype(np.float64)
        numeric = numerical_gradient(fun, theta, eps)
        diffs = {"all": relative_difference(numeric, analytic)}
        for layer, (w, _, b) in enumerate(self.parameter_slices, start=1):
            for name, sl in ((f"W{layer}", w), (f"b{layer}", b)):
                diffs[name] = relative_difference(numeric[sl], analytic[sl])
        return diffs
