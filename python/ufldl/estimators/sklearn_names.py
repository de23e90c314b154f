"""scikit-learn's names for the hyperparameters ufldl calls otherwise: a user switching from ``MLPClassifier``,
``MLPRegressor`` or ``LogisticRegression`` who passes one is told which ufldl hyperparameter it is, instead of
Python's bare "unexpected keyword argument"."""

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["SKLEARN_NAMES", "explain_unknown_keywords", "learning_rate_hint"]

#: scikit-learn's name -> what it is called here (and how its value translates).
SKLEARN_NAMES = {
    "alpha": "weight_decay: ufldl's lambda is not divided by the number of examples, so scikit-learn's MLP alpha "
             "is weight_decay = alpha / n_samples with L-BFGS and alpha / batch_size with the mini-batch solvers",
    "C": "weight_decay: LogisticRegression's C is weight_decay = 1 / (C * n_samples)",
    "learning_rate_init": "learning_rate (the step size)",
    "nesterovs_momentum": "nesterov",
    "hidden_layer_size": "hidden_layer_sizes",
    "n_components": "n_hidden (the number of features a SparseAutoencoder learns)",
    "penalty": "weight_decay (ufldl's decay is always the squared L2 norm of the weights)",
}


def explain_unknown_keywords(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap an estimator's ``__init__`` so that an unknown keyword raises a TypeError naming the estimator and,
    for scikit-learn's names, the ufldl hyperparameter to use. The signature seen by ``inspect`` (and so by
    scikit-learn's ``get_params``) stays the original's."""
    @functools.wraps(init)
    def checked_init(self: object, *args: Any, **kwargs: Any) -> None:
        known = init.__code__.co_varnames[1:init.__code__.co_argcount + init.__code__.co_kwonlyargcount]
        unknown = [name for name in kwargs if name not in known]
        if unknown:
            name = unknown[0]
            hint = f"; scikit-learn's {name} is ufldl's {SKLEARN_NAMES[name]}" if name in SKLEARN_NAMES else ""
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}{hint}")
        init(self, *args, **kwargs)
    return checked_init


def learning_rate_hint(value: object) -> str | None:
    """The explanation for a string ``learning_rate`` (scikit-learn's name for the schedule), or None."""
    if isinstance(value, str):
        return (f"learning_rate is the step size (scikit-learn's learning_rate_init); scikit-learn's "
                f"learning_rate={value!r} is ufldl's lr_schedule={value!r}")
    return None
