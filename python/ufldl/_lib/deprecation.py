"""Renamed arguments and attributes: the old name keeps working for a while, with a FutureWarning.

FutureWarning rather than DeprecationWarning because the people who must act are the users of the package
(scikit-learn's choice too): Python hides DeprecationWarning outside ``__main__``.
"""

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = ["REMOVED_IN", "renamed_keyword", "warn_renamed"]

#: The release that drops the old names.
REMOVED_IN = "0.3"


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn (FutureWarning) that ``old`` is now called ``new``.

    ``stacklevel`` counts from the caller of this function: the default 3 points at whoever called the
    function (or property) that calls it.
    """
    warnings.warn(f"`{old}` is renamed `{new}`; `{old}` will be removed in ufldl {REMOVED_IN}", FutureWarning,
                  stacklevel=stacklevel)


def renamed_keyword(old: str, new: str) -> Callable[[_F], _F]:
    """Decorator: the keyword argument ``old`` of the decorated function is now called ``new``.

    A call passing ``old=value`` warns (FutureWarning) and runs as if it passed ``new=value``; passing both
    is a TypeError. The decorated function's signature (``inspect.signature``, ``help``) shows ``new`` only.
    Decorators stack, one per renamed keyword.

    Parameters
    ----------
    old, new : str
        The old and the new name of the keyword.

    Returns
    -------
    decorator : callable
        Takes the function whose parameter is ``new`` and returns its wrapper.
    """
    def decorator(function: _F) -> _F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{function.__qualname__}() got both `{new}` and its old name `{old}`; "
                                    f"pass `{new}` only")
                warn_renamed(old, new)
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature

    return decorator
