"""The registry of kinds: which class ``save`` writes under which name, and how ``load`` rebuilds it.

``register`` is the public entry point (re-exported as ``ufldl.io.register``). The rest of ``ufldl.io`` reads
the registry through ``kind_of``, ``kind_named`` and ``known_kinds``, never through the dicts directly, so that
a test can swap ``KINDS`` and ``CLASSES`` for copies and have every reader see them.
"""


from collections.abc import Callable
from typing import Any

import numpy as np

# to_state(obj) -> (meta, arrays); from_state(meta, arrays) -> obj.
ToState = Callable[[Any], tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]]
FromState = Callable[[dict[str, Any], dict[str, np.ndarray[Any, Any]]], Any]


class Kind:
    """A registered kind: its name in the header, its class, and its two functions (see ``register``)."""

    __slots__ = ("name", "cls", "to_state", "from_state")

    def __init__(self, name: str, cls: type, to_state: ToState, from_state: FromState) -> None:
        self.name, self.cls, self.to_state, self.from_state = name, cls, to_state, from_state


KINDS: dict[str, Kind] = {}  # kind name -> Kind
CLASSES: dict[type, Kind] = {}  # class -> Kind


def register(kind: str, cls: type, to_state: ToState, from_state: FromState, *, replace: bool = False) -> None:
    """Teach ``save`` and ``load`` a class.

    Parameters
    ----------
    kind : str
        The name written into the file's header, for instance ``"ufldl.SparseAutoencoder"``. Keep it stable:
        files written under a name can only be loaded by a process that registers that name.
    cls : type
        The class. ``save`` accepts its instances and those of its subclasses (the most derived registered
        class wins).
    to_state : callable
        ``to_state(obj) -> (meta, arrays)``. ``meta`` is a dict with str keys whose values are None, bool,
        int, finite float, str, or lists / tuples / dicts (str keys) of those; NumPy scalars are accepted
        and stored as the Python equivalent. Tuples come back as lists. ``arrays`` is a dict from name to
        ``numpy.ndarray`` of a bool, integer, float or complex dtype, stored bit for bit with dtype and
        shape; names match ``[A-Za-z_][A-Za-z0-9_.-]*``, do not start with ``"__"`` and are not ``"file"``
        or ``"allow_pickle"``.
    from_state : callable
        ``from_state(meta, arrays) -> obj``, receiving what ``to_state`` returned after the trip through the
        file (``meta`` as parsed from JSON, ``arrays`` as a dict of ndarrays). It should check that it got
        the arrays and metadata it needs and raise ValueError or TypeError otherwise; ``load`` reports
        that, with the path, as a ValueError. To evolve a kind's layout, store a version of your own in
        ``meta`` and branch on it here.
    replace : bool, default False
        Allow ``kind`` to be registered again for a different class (by default a ValueError, so that two
        classes cannot silently claim one name). Registering the same kind for the same class again simply
        updates the functions.

    Examples
    --------
    A scikit-learn style estimator keeps its hyperparameters and scalar fitted attributes in ``meta`` and
    its fitted arrays in ``arrays``::

        def _to_state(est):
            meta = {"params": est.get_params(deep=False), "n_iter_": est.n_iter_,
                    "loss_curve_": list(est.loss_curve_)}
            return meta, {"coef_": est.coef_}

        def _from_state(meta, arrays):
            est = MyEstimator(**meta["params"])
            est.n_iter_, est.loss_curve_, est.coef_ = meta["n_iter_"], meta["loss_curve_"], arrays["coef_"]
            return est

        ufldl.io.register("mypackage.MyEstimator", MyEstimator, _to_state, _from_state)
    """
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"kind must be a non-empty str; got {kind!r}")
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {type(cls).__name__} {cls!r}")
    for name, fn in (("to_state", to_state), ("from_state", from_state)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable; got {type(fn).__name__}")
    old = KINDS.get(kind)
    if old is not None and old.cls is not cls and not replace:
        raise ValueError(
            f"kind {kind!r} is already registered for {_qualname(old.cls)}; got {_qualname(cls)} "
            "(pass replace=True to re-register it)"
        )
    old_for_cls = CLASSES.get(cls)
    if old_for_cls is not None and old_for_cls.name != kind:
        raise ValueError(
            f"{_qualname(cls)} is already registered as kind {old_for_cls.name!r}; got {kind!r}"
        )
    if old is not None:
        CLASSES.pop(old.cls, None)
    entry = Kind(kind, cls, to_state, from_state)
    KINDS[kind] = entry
    CLASSES[cls] = entry


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def unregister(kind: str) -> None:
    """Forget ``kind`` and its class: ``save`` then refuses the class and ``load`` files of that kind."""
    entry = KINDS.pop(kind, None)
    if entry is None:
        raise ValueError(f"kind {kind!r} is not registered")
    CLASSES.pop(entry.cls, None)


def kind_named(kind: object) -> Kind | None:
    """The ``Kind`` registered under the name ``kind``, or None (also for a name that is not a string, as a
    hostile header may hold)."""
    return KINDS.get(kind) if isinstance(kind, str) else None


def known_kinds() -> list[str]:
    """The registered kinds' names, sorted."""
    return sorted(KINDS)


def kind_of(obj: object) -> Kind:
    """The ``Kind`` ``save`` writes ``obj`` as: that of the most derived registered class in its MRO."""
    for cls in type(obj).__mro__:
        entry = CLASSES.get(cls)
        if entry is not None:
            return entry
    known = ", ".join(known_kinds()) or "none"
    raise TypeError(
        f"cannot save a {_qualname(type(obj))}: no kind is registered for it (known kinds: {known}); "
        "see ufldl.io.register"
    )
