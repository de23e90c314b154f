"""The exceptions and warnings of training, raised by the solvers and seen by every layer above them."""

from typing import Any

__all__ = ["NonFiniteError", "TrainingInterrupted"]


class TrainingInterrupted(UserWarning):
    """Warned when Ctrl-C (KeyboardInterrupt) stopped :func:`minimize`; the result it returned holds the last
    iterate and the loss history up to it (``result.interrupted`` is True)."""


class NonFiniteError(FloatingPointError):
    """The cost or the gradient became NaN or infinite: training stopped.

    Attributes
    ----------
    result : OptimizeResult
        What was computed up to the last finite iterate: ``result.theta`` are its (finite) parameters,
        ``result.cost`` its cost, ``result.loss_curve`` the history up to it.
    iteration : int
        The iteration in which the non-finite value appeared (0: at the starting point ``theta0``).
    """

    def __init__(self, message: str, result: Any, iteration: int) -> None:
        super().__init__(message)
        self.result = result
        self.iteration = iteration
