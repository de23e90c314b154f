"""Run scikit-learn's own MLP test module on ufldl's estimators, through a thin mapping of parameters.

    python tools/sklearn_mlp_parity.py [pytest arguments]

Copies ``sklearn/neural_network/tests/test_mlp.py`` from the installed scikit-learn into a temporary directory,
points its ``MLPClassifier`` / ``MLPRegressor`` at adapters over ``ufldl.NeuralNetClassifier`` /
``NeuralNetRegressor`` and runs it with pytest, printing the counts (issue 12 asks for them). The adapters take
scikit-learn's parameter names and translate only what truly corresponds:

- ``alpha`` -> ``weight_decay = alpha / n_samples`` with L-BFGS, ``alpha / batch_size`` with the mini-batch
  solvers (scikit-learn's penalty is ``alpha / (2 n) ||W||^2`` per evaluated batch of n rows);
- ``learning_rate`` (the schedule) -> ``lr_schedule``; ``learning_rate_init`` -> ``learning_rate``;
- ``nesterovs_momentum`` -> ``nesterov``; ``activation="logistic"`` -> ``"sigmoid"``;
- the rest keep their names (``max_fun`` included).

It is a measuring tool, not a test: differences are expected and each is a documented choice or an open item.
"""

import pathlib
import re
import sys
import tempfile
import textwrap

import pytest
import sklearn

ADAPTERS = textwrap.dedent('''
    """ufldl's estimators under scikit-learn's MLP parameter names (see tools/sklearn_mlp_parity.py)."""
    import numpy as np

    import ufldl

    SKLEARN_DEFAULTS = dict(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0001,
                            batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                            max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                            momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                            beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000)


    def _ufldl_params(p, n_samples):
        batch = min(200, n_samples) if p["batch_size"] == "auto" else min(p["batch_size"], n_samples)
        scale = n_samples if p["solver"] == "lbfgs" else batch
        activation = {"logistic": "sigmoid"}.get(p["activation"], p["activation"])
        return dict(hidden_layer_sizes=p["hidden_layer_sizes"], activation=activation,
                    weight_decay=p["alpha"] / scale, solver=p["solver"], max_iter=p["max_iter"], tol=p["tol"],
                    batch_size=p["batch_size"], learning_rate=p["learning_rate_init"], lr_schedule=p["learning_rate"],
                    power_t=p["power_t"], momentum=p["momentum"], nesterov=p["nesterovs_momentum"],
                    beta_1=p["beta_1"], beta_2=p["beta_2"], epsilon=p["epsilon"], shuffle=p["shuffle"],
                    early_stopping=p["early_stopping"], validation_fraction=p["validation_fraction"],
                    n_iter_no_change=p["n_iter_no_change"], random_state=p["random_state"],
                    verbose=int(p["verbose"]), warm_start=p["warm_start"], max_fun=p["max_fun"])


    def _adapter(name, base):
        def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                     batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                     max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                     momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                     beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
            for key, value in dict(locals()).items():
                if key != "self":
                    setattr(self, key, value)

        def _checked_parameters(self):
            mapped = _ufldl_params(self.get_params(deep=False), getattr(self, "_n_samples", 1))
            twin = base(**mapped)
            return twin._checked_parameters()

        def _fit(self, X, y, *, partial, classes=None, **fit_params):
            self._n_samples = int(np.shape(X)[0])
            return base._fit(self, X, y, partial=partial, classes=classes, **fit_params)

        namespace = {"__init__": __init__, "_checked_parameters": _checked_parameters, "_fit": _fit,
                     "__module__": __name__}
        return type(name, (base,), namespace)


    MLPClassifier = _adapter("MLPClassifier", ufldl.NeuralNetClassifier)
    MLPRegressor = _adapter("MLPRegressor", ufldl.NeuralNetRegressor)
''')


def main(argv):
    source = pathlib.Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "ufldl_mlp_adapters.py").write_text(ADAPTERS)
        text = source.read_text()
        text, n = re.subn(r"^from sklearn\.neural_network import MLPClassifier, MLPRegressor$",
                          "from ufldl_mlp_adapters import MLPClassifier, MLPRegressor", text, flags=re.M)
        if n != 1:
            raise SystemExit(f"{source}: could not find its import of MLPClassifier, MLPRegressor")
        (tmp / "test_mlp_on_ufldl.py").write_text(text)
        print(f"scikit-learn {sklearn.__version__}: {source}")
        return pytest.main([str(tmp / "test_mlp_on_ufldl.py"), "-q", "-p", "no:cacheprovider", "--rootdir",
                            str(tmp), "-o", "filterwarnings=", "-W", "ignore", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
