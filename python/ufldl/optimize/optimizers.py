"""The mini-batch optimisers, :class:`SGD` and :class:`Adam`: their update rules' hyperparameters, the
learning-rate schedules, and the state they carry from one call of :func:`ufldl.train_minibatch` to the next.

The update itself runs in the compiled core, on the arrays an optimiser holds: ``state1`` and ``state2``
(SGD's velocity and an unused buffer; Adam's first and second moments, also reachable as ``velocity``,
``first_moment`` and ``second_moment``), ``step`` (the update count, an array the core increments in place)
and, with ``rho_hat_decay``, ``running_rho_hat``. ``state_dict`` / ``load_state_dict`` turn them into the
``optimizer.*`` entries of a saved estimator (``state1``, ``state2``, ``running_rho_hat``) and back.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self, cast

import numpy as np

from ufldl._lib.deprecation import renamed_keyword, warn_renamed
from ufldl._lib.types import ArrayLike, Float64Array, FloatArray, RowsLike, ScheduleName
from ufldl._lib.validation import flag, real_scalar

if TYPE_CHECKING:
    from ufldl.network import Network

__all__ = ["SCHEDULES", "SGD", "Adam", "MinibatchOptimizer", "as_optimizer"]

#: Learning-rate schedules (see :class:`SGD`).
SCHEDULES = ("constant", "invscaling", "adaptive")

# "adaptive" stops when the learning rate falls to this (scikit-learn's MLP does the same).
_ADAPTIVE_FLOOR = 1e-6


class MinibatchOptimizer:
    """What SGD and Adam share: the hyperparameters, the learning-rate schedule and the state between calls.

    Attributes
    ----------
    state1, state2 : ndarray or None
        The update rule's state, shape (n_params,) in the network's dtype, None until the first training
        (SGD: the velocity and an unused buffer; Adam: the first and second moments). These are the names
        saved files use.
    step : ndarray, shape (1,), int64
        The updates made since the last ``reset()`` (an array: the compiled core increments it in place).
    samples_seen : int
        Training examples seen since the last ``reset()`` (the ``"invscaling"`` schedule's t).
    current_learning_rate : float
        The rate the next epoch uses.
    running_rho_hat : ndarray or None
        With ``rho_hat_decay``: the moving average of the hidden units' mean activations (float64, one entry
        per unit of layers 1 .. L).
    batches_per_call : int
        How many batches :func:`ufldl.train_minibatch` hands the core in one call (tuned while it runs, so
        that Python regains control about every 0.1 s; kept so that the next call starts from it).
    """

    name: str | None = None

    def __init__(self, learning_rate: float, lr_schedule: ScheduleName, power_t: float) -> None:
        self.learning_rate = real_scalar(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        self.lr_schedule = _check_lr_schedule(lr_schedule)
        self.power_t = real_scalar(power_t, "power_t", low=0.0)
        self.batches_per_call = 1
        self.reset()

    @property
    def schedule(self) -> ScheduleName:
        """str: the old name of ``lr_schedule`` (reading or setting it warns; removed in ufldl 0.3)."""
        warn_renamed("schedule", "lr_schedule")
        return self.lr_schedule

    @schedule.setter
    def schedule(self, value: object) -> None:
        warn_renamed("schedule", "lr_schedule")
        self.lr_schedule = _check_lr_schedule(value)

    def reset(self) -> Self:
        """Forget the state: the next training starts from zero velocity / moments and step 0.

        Returns
        -------
        MinibatchOptimizer
            The optimiser itself.
        """
        self.state1: FloatArray | None = None  # sgd: velocity; adam: first moment
        self.state2: FloatArray | None = None  # adam: second moment (sgd: unused)
        self.step = np.zeros(1, dtype=np.int64)  # updates made so far (an array: the core updates it in place)
        self.samples_seen = 0
        self.current_learning_rate = self.learning_rate
        self.running_rho_hat: Float64Array | None = None  # float64, n_1 + ... + n_L entries, when a moving average is used
        return self

    @property
    def n_updates(self) -> int:
        """int: the number of updates made since the last reset."""
        return int(self.step[0])

    # ------------------------------------------------------------------ what train_minibatch calls

    def bind(self, net: "Network") -> None:
        """Allocate (or check) the state for ``net``'s parameter vector.

        Parameters
        ----------
        net : ufldl.Network
            The network trained; the state has shape (n_params,) in its dtype.
        """
        if self.state1 is None:
            self.state1 = np.zeros(net.n_params, dtype=net.dtype)
            self.state2 = np.zeros(net.n_params, dtype=net.dtype)  # adam's second moment; unused by sgd
            return
        if self.state1.shape != (net.n_params,) or self.state1.dtype != net.dtype:
            raise ValueError(
                f"optimizer holds state for {self.state1.size} {self.state1.dtype} parameters; the network has "
                f"{net.n_params} {net.dtype} parameters (call optimizer.reset() to train another network)"
            )

    def init_running_rho_hat(self, net: "Network", X: RowsLike, sample_weight: Float64Array | None = None) -> None:
        """Start the running rho_hat as the exact rho_hat of ``X`` (weighted by ``sample_weight``) at ``net``'s
        current parameters (or check the one kept from an earlier call).

        Parameters
        ----------
        net : ufldl.Network
            The network trained (its parameters now).
        X : ndarray, shape (m, n_0)
            All the training inputs.
        sample_weight : ndarray of float64, shape (m,), optional
            The rows' weights (docs/math.md#sample-weights).
        """
        units = sum(net.layer_sizes[1:])
        if self.running_rho_hat is not None:
            if self.running_rho_hat.shape != (units,):
                raise ValueError(f"optimizer holds a running rho_hat of {self.running_rho_hat.size} units; the "
                                 f"network has {units} (call optimizer.reset())")
            return
        running = np.zeros(units, dtype=np.float64)
        offset = 0
        means = net.mean_activations(X, sample_weight=sample_weight)
        for layer, n in enumerate(net.layer_sizes[1:], start=1):
            if layer < net.n_layers:
                running[offset:offset + n] = means[layer - 1]
            offset += n
        self.running_rho_hat = running

    def update_rule(self) -> dict[str, Any]:
        """The update rule and its hyperparameters, as ``Network.minibatch_updates`` takes them."""
        raise NotImplementedError

    def end_epoch(self) -> None:
        """Advance the schedule after an epoch (scikit-learn's MLP does the same, counting samples seen)."""
        if self.lr_schedule == "invscaling":
            self.current_learning_rate = self.learning_rate / (self.samples_seen + 1) ** self.power_t

    def reduce_on_plateau(self) -> bool:
        """"adaptive": divide the learning rate by 5; returns False when it has already reached the floor.

        Returns
        -------
        bool
            False when the rate was already at its floor (1e-6), True when it was divided.
        """
        if self.current_learning_rate <= _ADAPTIVE_FLOOR:
            return False
        self.current_learning_rate /= 5.0
        return True

    # ------------------------------------------------------------------ saving

    def state_dict(self) -> tuple[dict[str, int | float], dict[str, FloatArray]]:
        """The state as plain values and arrays (for saving; see ``load_state_dict``).

        Returns
        -------
        meta : dict
            ``step``, ``samples_seen`` and ``current_learning_rate``, JSON values.
        arrays : dict of str to ndarray
            The state arrays (``state1``, ``state2``, ``running_rho_hat`` where set), shape (n_params,) or (n_units,).
        """
        arrays: dict[str, FloatArray] = {}
        if self.state1 is not None:
            arrays["state1"], arrays["state2"] = self.state1, cast("FloatArray", self.state2)
        if self.running_rho_hat is not None:
            arrays["running_rho_hat"] = self.running_rho_hat
        meta: dict[str, int | float] = {"step": self.n_updates, "samples_seen": int(self.samples_seen),
                "current_learning_rate": float(self.current_learning_rate)}
        return meta, arrays

    def load_state_dict(self, meta: Mapping[str, Any], arrays: Mapping[str, ArrayLike]) -> Self:
        """Restore what ``state_dict`` returned.

        ``meta`` may also name the schedule (``"lr_schedule"``, or ``"schedule"`` as an older state might):
        it is then restored too. ``state_dict`` does not write it: the schedule is a hyperparameter, which
        the owner of the optimiser (an estimator's parameters) keeps.

        Parameters
        ----------
        meta : dict
            The JSON values of :meth:`state_dict`.
        arrays : dict of str to ndarray
            Its arrays.

        Returns
        -------
        MinibatchOptimizer
            The optimiser itself.
        """
        schedule = meta.get("lr_schedule", meta.get("schedule"))
        if schedule is not None:
            self.lr_schedule = _check_lr_schedule(schedule)
        self.reset()
        self.step[0] = int(meta["step"])
        self.samples_seen = int(meta["samples_seen"])
        self.current_learning_rate = float(meta["current_learning_rate"])
        if "state1" in arrays:
            self.state1 = np.array(arrays["state1"], order="C")
            self.state2 = np.array(arrays["state2"], order="C")
        if "running_rho_hat" in arrays:
            self.running_rho_hat = np.array(arrays["running_rho_hat"], dtype=np.float64, order="C")
        return self


class SGD(MinibatchOptimizer):
    """Stochastic gradient descent with momentum (optionally Nesterov's), as scikit-learn's MLP defines it.

    With velocity v (zero at the start), for each batch gradient g::

        v <- momentum * v - lr * g
        theta <- theta + v                          (nesterov=False)
        theta <- theta + momentum * v - lr * g      (nesterov=True)

    ``momentum=0`` is plain mini-batch gradient descent, ``theta <- theta - lr * g``.

    Parameters
    ----------
    learning_rate : float, default 0.01
        The initial step size lr, > 0.
    momentum : float, default 0.9
        In [0, 1).
    nesterov : bool, default True
        Nesterov's momentum.
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        How lr changes between epochs (it is constant within one): ``"constant"`` keeps it;
        ``"invscaling"`` sets it to ``learning_rate / (t + 1) ** power_t`` after each epoch, t the number of
        training examples seen so far; ``"adaptive"`` keeps it while the loss improves and divides it by 5
        each time ``n_iter_no_change`` epochs in a row fail to improve by ``tol``, stopping once it is
        <= 1e-6. These are scikit-learn's MLP schedules. Formerly ``schedule`` (the keyword and the attribute
        still work, with a FutureWarning, until ufldl 0.3).
    power_t : float, default 0.5
        The exponent of ``"invscaling"``, >= 0.

    Attributes
    ----------
    current_learning_rate : float
        The rate the next epoch uses.
    n_updates : int
        Updates made since the last ``reset()``.
    velocity : ndarray or None
        v (stored as ``state1``; see :class:`MinibatchOptimizer` for the rest of the state).
    """

    name = "sgd"

    @renamed_keyword("schedule", "lr_schedule")
    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, nesterov: bool = True,
                 lr_schedule: ScheduleName = "constant", power_t: float = 0.5) -> None:
        self.momentum = real_scalar(momentum, "momentum", low=0.0, high=1.0, high_inclusive=False)
        self.nesterov = flag(nesterov, "nesterov")
        super().__init__(learning_rate, lr_schedule, power_t)

    @property
    def velocity(self) -> FloatArray | None:
        """ndarray or None: the velocity v (``state1``), None before the first training."""
        return self.state1

    def update_rule(self) -> dict[str, Any]:
        """The SGD update rule and its hyperparameters, as ``Network.minibatch_updates`` takes them.

        Returns
        -------
        dict
            ``rule``, ``learning_rate``, ``momentum``, ``nesterov``, ``beta1``, ``beta2``, ``epsilon``.
        """
        return dict(rule=self.name, learning_rate=self.current_learning_rate, momentum=self.momentum,
                    nesterov=self.nesterov, beta1=0.9, beta2=0.999, epsilon=1e-8)

    def __repr__(self) -> str:
        return (f"SGD(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}, "
                f"nesterov={self.nesterov!r}, lr_schedule={self.lr_schedule!r}, power_t={self.power_t!r})")


class Adam(MinibatchOptimizer):
    """Adam (Kingma and Ba), as scikit-learn's MLP defines it.

    For step t = 1, 2, ... and batch gradient g::

        m1 <- beta_1 m1 + (1 - beta_1) g;   m2 <- beta_2 m2 + (1 - beta_2) g^2
        theta <- theta - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m1 / (sqrt(m2) + epsilon)

    Parameters
    ----------
    learning_rate : float, default 0.001
        > 0.
    beta_1, beta_2 : float, default 0.9 and 0.999
        Decay rates of the moment estimates, each in [0, 1).
    epsilon : float, default 1e-8
        > 0.
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        As for :class:`SGD` (scikit-learn's Adam has only ``"constant"``). Formerly ``schedule``.
    power_t : float, default 0.5
        The exponent of ``"invscaling"``.

    Attributes
    ----------
    current_learning_rate : float
        The rate the next epoch uses.
    n_updates : int
        Updates made since the last ``reset()`` (the t of the bias correction).
    first_moment, second_moment : ndarray or None
        m1 and m2 (stored as ``state1`` and ``state2``; see :class:`MinibatchOptimizer`).
    """

    name = "adam"

    @renamed_keyword("schedule", "lr_schedule")
    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 lr_schedule: ScheduleName = "constant", power_t: float = 0.5) -> None:
        self.beta_1 = real_scalar(beta_1, "beta_1", low=0.0, high=1.0, high_inclusive=False)
        self.beta_2 = real_scalar(beta_2, "beta_2", low=0.0, high=1.0, high_inclusive=False)
        self.epsilon = real_scalar(epsilon, "epsilon", low=0.0, low_inclusive=False)
        super().__init__(learning_rate, lr_schedule, power_t)

    @property
    def first_moment(self) -> FloatArray | None:
        """ndarray or None: the first-moment estimate m1 (``state1``), None before the first training."""
        return self.state1

    @property
    def second_moment(self) -> FloatArray | None:
        """ndarray or None: the second-moment estimate m2 (``state2``), None before the first training."""
        return self.state2

    def update_rule(self) -> dict[str, Any]:
        """The Adam update rule and its hyperparameters, as ``Network.minibatch_updates`` takes them.

        Returns
        -------
        dict
            ``rule``, ``learning_rate``, ``momentum``, ``nesterov``, ``beta1``, ``beta2``, ``epsilon``.
        """
        return dict(rule=self.name, learning_rate=self.current_learning_rate, momentum=0.0, nesterov=False,
                    beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon)

    def __repr__(self) -> str:
        return (f"Adam(learning_rate={self.learning_rate!r}, beta_1={self.beta_1!r}, beta_2={self.beta_2!r}, "
                f"epsilon={self.epsilon!r}, lr_schedule={self.lr_schedule!r}, power_t={self.power_t!r})")


_OPTIMIZERS: dict[str, Callable[[], MinibatchOptimizer]] = {"sgd": SGD, "adam": Adam}


def _check_lr_schedule(value: object) -> ScheduleName:
    if not isinstance(value, str) or value not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {SCHEDULES}; got {value!r}")
    return cast(ScheduleName, value)


def as_optimizer(optimizer: object) -> MinibatchOptimizer:
    """``optimizer`` as an optimiser object: a name gives a new one with its defaults."""
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(_OPTIMIZERS)} or an SGD/Adam instance; "
                             f"got {optimizer!r}")
        return _OPTIMIZERS[optimizer]()
    if not isinstance(optimizer, MinibatchOptimizer):
        raise TypeError(f"optimizer must be 'sgd', 'adam', ufldl.SGD or ufldl.Adam; got "
                        f"{type(optimizer).__name__}")
    return optimizer
