"""The vocabulary of the estimators' declarative hyperparameter checks.

Each estimator class lists ``_parameter_constraints``: hyperparameter name -> constraint, as scikit-learn's
estimators do. A constraint is called as ``constraint(value, name)`` and returns the value, normalised (a
float, an int, a ``numpy.dtype``), or raises with the project's message style: the argument, what was expected,
what came (TypeError for a value of the wrong kind, ValueError for one out of range). The checks themselves are
``ufldl._lib.validation``'s, so that an estimator and a ``Network`` say the same thing about the same mistake.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, cast

import numpy as np

from ufldl._lib.types import RandomStateLike
from ufldl._lib.validation import flag, integer, patience, random_generator, real_scalar
from ufldl.layers import DTYPES

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["Constraint", "integer_at_least", "real_in", "one_of", "optional", "auto_or", "explained", "FLAG", "RANDOM_STATE",
           "DTYPE", "VERBOSITY", "PATIENCE", "check_parameters", "ParameterConstraints"]

_T = TypeVar("_T")


class Constraint(Generic[_T]):
    """One hyperparameter's check: ``constraint(value, name)`` returns the value or raises.

    Parameters
    ----------
    description : str
        What is expected, as the messages and ``repr`` say it (``"an integer >= 1"``).
    check : callable
        ``check(value, name) -> value``.
    """

    def __init__(self, description: str, check: Callable[[Any, str], _T]) -> None:
        self.description = description
        self._check = check

    def __call__(self, value: Any, name: str) -> _T:
        return self._check(value, name)

    def __repr__(self) -> str:
        return f"<constraint: {self.description}>"


#: A class's ``_parameter_constraints``: hyperparameter name -> its constraint.
ParameterConstraints: TypeAlias = dict[str, Constraint[Any]]


def integer_at_least(low: int) -> Constraint[int]:
    """An integer (not a bool) >= ``low``."""
    return Constraint(f"an integer >= {low}", lambda value, name: integer(value, name, low))


def real_in(low: float | None = None, high: float | None = None, *, low_inclusive: bool = True,
            high_inclusive: bool = True) -> Constraint[float]:
    """A finite real number in the interval given (either end open or absent)."""
    left = "" if low is None else f"{'[' if low_inclusive else '('}{low}"
    right = "" if high is None else f"{high}{']' if high_inclusive else ')'}"
    return Constraint(f"a real number in {left or '(-inf'}, {right or 'inf)'}",
                      lambda value, name: real_scalar(value, name, low=low, low_inclusive=low_inclusive, high=high,
                                                      high_inclusive=high_inclusive))


def one_of(*choices: str) -> Constraint[str]:
    """One of the strings ``choices``."""
    def check(value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"{name} must be one of {choices}; got {value!r}")
        return value
    return Constraint(f"one of {choices}", check)


def optional(constraint: Constraint[_T]) -> Constraint[_T | None]:
    """None, or a value ``constraint`` accepts."""
    return Constraint(f"None or {constraint.description}",
                      lambda value, name: None if value is None else constraint(value, name))


def auto_or(constraint: Constraint[_T]) -> Constraint[_T | str]:
    """The string ``"auto"``, or a value ``constraint`` accepts."""
    def check(value: Any, name: str) -> _T | str:
        if isinstance(value, str):
            if value == "auto":
                return value
            raise ValueError(f"{name} must be 'auto' or {constraint.description}; got {value!r}")
        return constraint(value, name)
    return Constraint(f"'auto' or {constraint.description}", check)


def explained(constraint: Constraint[_T], hint: Callable[[Any], str | None]) -> Constraint[_T]:
    """``constraint``, but a value for which ``hint(value)`` has an explanation is a ValueError saying it (for
    a scikit-learn user's value of another meaning)."""
    def check(value: Any, name: str) -> _T:
        explanation = hint(value)
        if explanation is not None:
            raise ValueError(f"{name} must be {constraint.description}; got {value!r}: {explanation}")
        return constraint(value, name)
    return Constraint(constraint.description, check)


def _dtype(value: Any, name: str) -> np.dtype[Any]:
    if isinstance(value, str) or value in (np.float64, np.float32):
        dtype: np.dtype[Any] | None
        try:
            dtype = np.dtype(value)
        except TypeError:
            dtype = None
        # (not None first: NumPy compares None equal to float64, np.dtype(None)'s dtype)
        if dtype is not None and dtype in DTYPES:
            return dtype
    raise ValueError(f"{name} must be 'float64' or 'float32'; got {value!r}")


def _random_state(value: Any, name: str) -> RandomStateLike:
    if not isinstance(value, (np.random.RandomState, np.random.Generator)):
        random_generator(value, name)  # raises for anything but None or an int >= 0 (and draws nothing)
    return cast(RandomStateLike, value)  # (checked just above)


def _verbosity(value: Any, name: str) -> int:
    return integer(int(value) if isinstance(value, (bool, np.bool_)) else value, name, 0)


#: True or False (NumPy's bools too).
FLAG = Constraint("True or False", flag)
#: scikit-learn's random state: None, an int >= 0, a RandomState or a Generator (checked, not consumed).
RANDOM_STATE = Constraint("None, an int >= 0, a numpy.random.Generator or a numpy.random.RandomState",
                          lambda value, name: _random_state(value, name))
#: The precision of the parameters: "float64" or "float32" (returned as a numpy.dtype).
DTYPE = Constraint("'float64' or 'float32'", _dtype)
#: An int >= 0, or a bool (False = 0, True = 1).
VERBOSITY = Constraint("an integer >= 0", _verbosity)
#: Epochs without progress before stopping: an integer >= 1, or numpy.inf.
PATIENCE = Constraint("an integer >= 1 or numpy.inf", patience)


def check_parameters(estimator: "BaseEstimator") -> dict[str, Any]:
    """Check every hyperparameter of ``estimator`` against its class's ``_parameter_constraints``.

    Returns
    -------
    checked : dict
        Name -> normalised value, for every constrained hyperparameter, in the order of the constraints.
    """
    params = estimator.get_params(deep=False)
    constraints: ParameterConstraints = type(estimator)._parameter_constraints
    return {name: constraint(params[name], name) for name, constraint in constraints.items()}
