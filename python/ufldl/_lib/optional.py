"""Optional dependencies (scikit-learn, Pillow, matplotlib, tqdm): installed or not, told apart from an import
that fails.

``try: import x / except ImportError`` cannot tell "x is not installed" from "x is installed and its import
failed", and some packages turn whatever interrupts their import into an ImportError of their own: a Ctrl-C
while scikit-learn was loading was once reported as "scikit-learn ... is not installed". Here a module is missing
only when its top-level package cannot be found; an installed one is imported and its errors are its own, and a
KeyboardInterrupt anywhere in an ImportError's chain is raised as the KeyboardInterrupt it was.
"""

import importlib
import importlib.util
from types import ModuleType

__all__ = ["installed", "import_installed", "raise_if_interrupted"]


def installed(module: str) -> bool:
    """Whether the top-level package of ``module`` (``"matplotlib"`` for ``"matplotlib.figure"``) can be found,
    without importing it."""
    try:
        return importlib.util.find_spec(module.partition(".")[0]) is not None
    except (ImportError, ValueError):  # (a broken entry in sys.modules, or a name that is not a module's)
        return False


def raise_if_interrupted(exc: BaseException) -> None:
    """Raise KeyboardInterrupt if one is in the chain (causes and contexts) of ``exc``."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        seen.add(id(link))
        link = link.__cause__ or link.__context__


def import_installed(module: str) -> ModuleType | None:
    """``module`` imported, or None when it is not installed (:func:`installed`). An installed module whose import
    fails raises its own error (a KeyboardInterrupt hidden in an ImportError as KeyboardInterrupt)."""
    if not installed(module):
        return None
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise_if_interrupted(exc)
        raise
