"""What every ufldl scikit-learn estimator shares: random states, optimiser construction, one training call
with the library's warnings and errors handled, read-only views, and the parameters' trip through a file."""

import numbers
import warnings

import numpy as np

from ufldl.network_state import network_from_state, network_to_state
from ufldl.optimize import SGD, Adam, NonFiniteError, TrainingInterrupted, train

#: The step size of each solver when ``learning_rate=None``.
DEFAULT_LEARNING_RATE = {"gd": 0.1, "sgd": 0.01, "adam": 0.001}
# The values of the hyperparameters an estimator does not expose (SoftmaxRegression has no momentum, ...).
_DEFAULTS = {"momentum": 0.9, "nesterov": True, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
             "lr_schedule": "constant", "power_t": 0.5, "shuffle": True, "max_corrections": 100}


def hyper(est, name):
    """The estimator's hyperparameter ``name``, or its default when the estimator does not expose it."""
    return getattr(est, name, _DEFAULTS.get(name))


def is_minibatch(est):
    return est.solver in ("sgd", "adam")


def read_only(array):
    """A read-only view of ``array`` (fitted weights exposed without letting them be written by accident)."""
    view = array.view()
    view.flags.writeable = False
    return view


def learning_rate(est):
    return DEFAULT_LEARNING_RATE[est.solver] if est.learning_rate is None else est.learning_rate


def new_optimizer(est):
    """The SGD or Adam object of a mini-batch estimator, from its hyperparameters."""
    lr, schedule, power_t = learning_rate(est), hyper(est, "lr_schedule"), hyper(est, "power_t")
    if est.solver == "sgd":
        return SGD(lr, hyper(est, "momentum"), hyper(est, "nesterov"), schedule, power_t)
    return Adam(lr, hyper(est, "beta_1"), hyper(est, "beta_2"), hyper(est, "epsilon"), schedule, power_t)


def fit_network(net, X, Y, solver, record, *, stacklevel, **kwargs):
    """``ufldl.train(net, X, Y, solver, **kwargs)`` for an estimator: ``record(result)`` files the outcome,
    also that of a run that stopped on a non-finite value (before the NonFiniteError goes on), and a Ctrl-C
    warning is re-issued from ``stacklevel`` frames above, so that it points at the caller's fit."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TrainingInterrupted)
            result = train(net, X, Y, solver, **kwargs)
    except NonFiniteError as err:
        record(err.result)  # the last finite parameters and the history stay inspectable
        raise
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=stacklevel + 1)
    record(result)
    return result


# ----------------------------------------------------------------------------------------------- saving


def params_to_meta(est):
    """``get_params()`` as JSON-able metadata: ``{"params": ..., "tuple_params": [...]}``.

    Tuples are named so that they come back as tuples (the file's JSON turns them into lists); a RandomState
    or Generator is not stored (the loaded estimator has random_state=None)."""
    params = {}
    for name, value in est.get_params(deep=False).items():
        if isinstance(value, np.ndarray):
            value = tuple(value.tolist())
        elif name == "dtype":
            value = np.dtype(value).name
        elif name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        params[name] = value
    return {"params": params, "tuple_params": sorted(k for k, v in params.items() if isinstance(v, tuple))}


def params_from_meta(meta):
    """The keyword arguments ``params_to_meta`` stored, tuples restored."""
    params = dict(meta["params"])
    for name in meta.get("tuple_params", []):
        params[name] = tuple(params[name])
    return params


def optimizer_to_meta(est, arrays):
    """The mini-batch optimiser's state (None without one); its arrays go into ``arrays`` as
    ``optimizer.<name>``."""
    optimizer = getattr(est, "_optimizer", None)
    if optimizer is None:
        return None
    opt_meta, opt_arrays = optimizer.state_dict()
    arrays.update({f"optimizer.{key}": value for key, value in opt_arrays.items()})
    return {"name": optimizer.name, **opt_meta}


def load_optimizer(est, opt_meta, arrays):
    """Give a loaded estimator its mini-batch optimiser back (``est._optimizer``; None if it had none)."""
    est._optimizer = None
    if opt_meta is None:
        return
    est._optimizer = new_optimizer(est)
    if est._optimizer.name != opt_meta["name"]:
        raise ValueError(f"optimizer state of {opt_meta['name']!r} for solver {est.solver!r}")
    est._optimizer.load_state_dict(opt_meta, {key.split(".", 1)[1]: value for key, value in arrays.items()
                                              if key.startswith("optimizer.")})


def network_to_meta(net, arrays, name="theta"):
    """A Network's metadata; its parameters go into ``arrays[name]``."""
    meta, net_arrays = network_to_state(net)
    arrays[name] = net_arrays["theta"]
    return meta


def network_from_meta(meta, arrays, name="theta"):
    return network_from_state(meta, {"theta": arrays[name]})


def estimator_to_state(est, fitted_names, version):
    """The common part of an estimator's file: parameters, and when fitted, the scalar fitted attributes
    ``fitted_names``, ``feature_names_in_``, ``network_`` and the mini-batch optimiser's state."""
    meta = {"version": version, **params_to_meta(est), "fitted": hasattr(est, "network_")}
    arrays = {}
    if meta["fitted"]:
        for name in fitted_names:
            meta[name] = getattr(est, name)
        names = getattr(est, "feature_names_in_", None)
        meta["feature_names_in_"] = None if names is None else [str(n) for n in names]
        meta["network"] = network_to_meta(est.network_, arrays)
        meta["optimizer"] = optimizer_to_meta(est, arrays)
    return meta, arrays


def estimator_from_state(cls, meta, arrays, fitted_names, version):
    """The estimator ``estimator_to_state`` described (the caller restores what it added itself)."""
    if meta.get("version") != version:
        raise ValueError(f"unknown {cls.__name__} state version {meta.get('version')!r} (this ufldl reads "
                         f"{version})")
    est = cls(**params_from_meta(meta))
    if not meta["fitted"]:
        return est
    est.network_ = network_from_meta(meta["network"], arrays)
    for name in fitted_names:
        setattr(est, name, meta[name])
    if meta["feature_names_in_"] is not None:
        est.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
    load_optimizer(est, meta["optimizer"], arrays)
    return est
