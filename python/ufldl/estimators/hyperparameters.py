"""The hyperparameters the estimators share, as groups of constraints (``ufldl.estimators.constraints``) that a
class's ``_parameter_constraints`` combines with its own."""

from ufldl.estimators.constraints import (DTYPE, FLAG, PATIENCE, RANDOM_STATE, VERBOSITY, ParameterConstraints,
                                          auto_or, explained, integer_at_least, one_of, optional, real_in)
from ufldl.estimators.sklearn_names import learning_rate_hint
from ufldl.optimize import SCHEDULES, SOLVERS

__all__ = ["HIDDEN_ACTIVATIONS", "TRAINING", "OPTIMIZER", "LBFGS", "FITTING"]

#: The activations a hidden layer may have (softmax belongs to an output layer).
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")

#: The solver and how long and on what it trains.
TRAINING: ParameterConstraints = {
    "solver": one_of(*SOLVERS),
    "max_iter": integer_at_least(1),
    "tol": optional(real_in(low=0.0)),
    "batch_size": auto_or(integer_at_least(1)),
    "learning_rate": optional(explained(real_in(low=0.0, low_inclusive=False), learning_rate_hint)),
    "early_stopping": FLAG,
    "validation_fraction": real_in(0.0, 1.0, low_inclusive=False, high_inclusive=False),
    "n_iter_no_change": PATIENCE,
    "max_fun": optional(integer_at_least(1)),
}
#: The mini-batch optimisers' own (``ufldl.SGD``, ``ufldl.Adam``).
OPTIMIZER: ParameterConstraints = {
    "lr_schedule": one_of(*SCHEDULES),
    "power_t": real_in(low=0.0),
    "momentum": real_in(0.0, 1.0, high_inclusive=False),
    "nesterov": FLAG,
    "beta_1": real_in(0.0, 1.0, high_inclusive=False),
    "beta_2": real_in(0.0, 1.0, high_inclusive=False),
    "epsilon": real_in(low=0.0, low_inclusive=False),
    "shuffle": FLAG,
}
LBFGS: ParameterConstraints = {"max_corrections": integer_at_least(1)}
#: Precision, randomness, output and warm start.
FITTING: ParameterConstraints = {"dtype": DTYPE, "random_state": RANDOM_STATE, "verbose": VERBOSITY, "warm_start": FLAG}
