"""Type stubs for ufldl's compiled core (use the ufldl package's public API instead)."""

import enum

import numpy as np
import numpy.typing as npt

class Activation(enum.IntEnum):
    sigmoid = 0
    tanh = 1
    relu = 2
    identity = 3
    softmax = 4

class _Engine:
    def __init__(self, sizes: list[int], activations: list[int], loss: int) -> None: ...
    def cost_and_grad(
        self,
        theta: npt.NDArray[np.floating],
        X: npt.NDArray[np.floating],
        Y: npt.NDArray[np.floating] | npt.NDArray[np.int64],
        grad: npt.NDArray[np.floating],
        weight_decay: float,
        sparse_layers: list[bool],
        rho: float,
        beta: float,
    ) -> tuple[float, float, float]: ...
    def minibatch_epoch(
        self,
        theta: npt.NDArray[np.floating],
        X: npt.NDArray[np.floating],
        Y: npt.NDArray[np.floating] | npt.NDArray[np.int64],
        order: npt.NDArray[np.int64],
        batch_size: int,
        weight_decay: float,
        sparse_layers: list[bool],
        rho: float,
        beta: float,
        rule: int,
        learning_rate: float,
        momentum: float,
        nesterov: bool,
        beta1: float,
        beta2: float,
        epsilon: float,
        state1: npt.NDArray[np.floating],
        state2: npt.NDArray[np.floating],
        step: npt.NDArray[np.int64],
        batch_costs: npt.NDArray[np.float64],
        running_rho_hat: npt.NDArray[np.float64] | None = None,
        rho_hat_decay: float = 0.0,
    ) -> int: ...
    def forward(
        self, theta: npt.NDArray[np.floating], X: npt.NDArray[np.floating], first: int, last: int
    ) -> list[npt.NDArray[np.floating]]: ...
    @property
    def n_params(self) -> int: ...
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
