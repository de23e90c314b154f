"""Type stubs for ufldl's compiled core (use the ufldl package's public API instead)."""

import enum
from typing import Any

import numpy as np
import numpy.typing as npt

class Activation(enum.IntEnum):
    sigmoid = 0
    tanh = 1
    relu = 2
    identity = 3
    softmax = 4

class UpdateRule(enum.IntEnum):
    sgd = 0
    adam = 1

class UpdateParams:
    """An update rule and its hyperparameters (minibatch_epoch's ``update``)."""

    rule: UpdateRule
    learning_rate: float
    momentum: float  # sgd: 0 is plain gradient descent
    nesterov: bool  # sgd
    beta1: float  # adam
    beta2: float  # adam
    epsilon: float  # adam
    def __init__(
        self,
        *,
        rule: UpdateRule = ...,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None: ...

class CostSettings:
    """The cost's hyperparameters (cost_and_grad's and minibatch_epoch's ``cost``), checked against the network
    by each call that takes them."""

    sparse_layers: list[bool]  # L + 1 flags: flag l puts the KL penalty on hidden layer l
    weight_decay: float | list[float]  # lambda for every weight layer, or one per weight layer (L values)
    rho: float
    beta: float
    # float64, n_1 + ... + n_L entries, updated in place by each call; None: each batch's own rho_hat.
    running_rho_hat: npt.NDArray[np.float64] | None
    rho_hat_decay: float  # in [0, 1)
    def __init__(
        self,
        *,
        sparse_layers: list[bool],
        weight_decay: float | list[float] = 0.0,
        rho: float = 0.01,
        beta: float = 3.0,
        running_rho_hat: npt.NDArray[np.float64] | None = None,
        rho_hat_decay: float = 0.0,
    ) -> None: ...

class CsrMatrix:
    """A CSR matrix (scipy.sparse's three arrays and its shape), one example per row; checked by each call that
    takes it (indices in [0, n_cols), indptr non-decreasing from 0 to the number of entries)."""

    @property
    def data(self) -> npt.NDArray[np.floating]: ...
    @property
    def indices(self) -> npt.NDArray[np.int32] | npt.NDArray[np.int64]: ...
    @property
    def indptr(self) -> npt.NDArray[np.int32] | npt.NDArray[np.int64]: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    def __init__(
        self,
        data: npt.NDArray[np.floating],
        indices: npt.NDArray[np.int32] | npt.NDArray[np.int64],
        indptr: npt.NDArray[np.int32] | npt.NDArray[np.int64],
        shape: tuple[int, int],
    ) -> None: ...

_Rows = npt.NDArray[np.floating] | CsrMatrix
_Targets = npt.NDArray[np.floating] | npt.NDArray[np.int64] | CsrMatrix

class _Engine:
    def __init__(self, sizes: list[int], activations: list[int], loss: int) -> None: ...
    def cost_and_grad(
        self,
        theta: npt.NDArray[np.floating],
        X: _Rows,
        Y: _Targets,
        grad: npt.NDArray[np.floating],
        cost: CostSettings,
        sample_weight: npt.ArrayLike | None = None,  # m weights >= 0, converted to float64
    ) -> tuple[float, float, float]: ...
    def cost_and_grad_one_pass(
        self,
        theta: npt.NDArray[np.floating],
        X: _Rows,
        Y: _Targets,
        grad: npt.NDArray[np.floating],
        cost: CostSettings,
        activation_sum: npt.NDArray[np.float64],  # (n_1,), written
        derivative_sum: npt.NDArray[np.float64],  # (n_1,), written
        derivative_input: npt.NDArray[np.float64],  # (n_1, n_0), written
        sample_weight: npt.ArrayLike | None = None,
    ) -> tuple[float, float, float]: ...
    def minibatch_epoch(
        self,
        theta: npt.NDArray[np.floating],
        X: _Rows,
        Y: _Targets,
        order: npt.NDArray[np.int64],
        batch_size: int,
        cost: CostSettings,
        update: UpdateParams,
        state1: npt.NDArray[np.floating],  # sgd: the velocity; adam: the first moment m1
        state2: npt.NDArray[np.floating],  # adam: the second moment m2 (unused by sgd)
        step: npt.NDArray[np.int64],
        batch_costs: npt.NDArray[np.float64],
        sample_weight: npt.ArrayLike | None = None,  # one per row of X; every batch's sum positive
    ) -> int: ...
    def forward(
        self, theta: npt.NDArray[np.floating], X: _Rows, first: int, last: int
    ) -> list[npt.NDArray[np.floating]]: ...
    @property
    def n_params(self) -> int: ...
    @property
    def hidden_layout(self) -> str: ...  # "rows" or "hidden-major": the intermediates' storage, dense X
    def lbfgs_evaluations(
        self, state: Any, X: _Rows, Y: _Targets, cost: CostSettings,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Any: ...
    def weight_offset(self, layer: int) -> int: ...
    def bias_offset(self, layer: int) -> int: ...

class NetworkF64(_Engine): ...
class NetworkF32(_Engine): ...

def sgd_update(
    theta: npt.NDArray[np.floating],
    grad: npt.NDArray[np.floating],
    velocity: npt.NDArray[np.floating] | None,
    learning_rate: float,
    momentum: float,
    nesterov: bool,
) -> None: ...
def adam_update(
    theta: npt.NDArray[np.floating],
    grad: npt.NDArray[np.floating],
    m1: npt.NDArray[np.floating],
    m2: npt.NDArray[np.floating],
    t: int,
    learning_rate: float,
    beta1: float,
    beta2: float,
    epsilon: float,
) -> None: ...
def elementwise_isa() -> str: ...
def blas_corename() -> str: ...
def blas_num_threads() -> int: ...
def all_finite(a: npt.NDArray[np.generic]) -> bool | None: ...

# The L-BFGS state machine (ufldl._lib.lbfgs names it for the optimisers): not described here.
Lbfgs: Any
LbfgsStatus: Any
LbfgsStop: Any
def lbfgs_two_loop(*args: Any, **kwargs: Any) -> Any: ...
