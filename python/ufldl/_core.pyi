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
    def forward(self, theta: npt.NDArray[np.floating], X: npt.NDArray[np.floating]) -> list[npt.NDArray[np.floating]]: ...
    @property
    def n_params(self) -> int: ...
    def weight_offset(self, layer: int) -> int: ...
    def bias_offset(self, layer: int) -> int: ...

class NetworkF64(_Engine): ...
class NetworkF32(_Engine): ...

def elementwise_isa() -> str: ...
def blas_corename() -> str: ...
def blas_num_threads() -> int: ...
