"""User code called during training (callbacks, scoring functions), and the read-only views it is given.

Every solver hands a callback the same thing: a read-only view of the parameters, with ``net.theta`` and the
weight and bias views into it locked for the duration of the call, so that a write raises ValueError with
every solver instead of being honoured by some and overwritten by others.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ufldl.network import Network

__all__ = ["call_with_parameters_read_only", "read_only_view"]

_Array = TypeVar("_Array", bound=np.ndarray[Any, Any])
_Result = TypeVar("_Result")

_READ_ONLY_NOTE = ("ufldl: net.theta, net.weights and net.biases are read-only while a training callback (or "
                   "scoring function) runs: the solver owns them until training returns; change them between "
                   "calls instead")


def read_only_view(array: _Array) -> _Array:
    """A read-only view of ``array``."""
    view = array.view()
    view.flags.writeable = False
    return view


def call_with_parameters_read_only(net: "Network", function: Callable[..., _Result], *args: Any) -> _Result:
    """``function(*args)``, a user's callback or scoring function, with ``net.theta`` and the weight and bias
    views into it read-only, so that every solver treats a write the same way: it raises ValueError (a note
    on it says why) instead of being honoured by some solvers and overwritten by others."""
    try:
        with net.parameters_read_only():
            return function(*args)
    except ValueError as exc:
        if "read-only" in str(exc) and _READ_ONLY_NOTE not in getattr(exc, "__notes__", ()):
            exc.add_note(_READ_ONLY_NOTE)
        raise
