"""The docstring of :class:`ufldl.Network`, kept apart so that ``ufldl/network/__init__.py`` holds the state and
the calls into the engine (and stays under the house's 400 lines)."""

__all__ = ["NETWORK_DOC"]

NETWORK_DOC = """A dense feedforward network: its parameters, cost and gradient.

    Parameters
    ----------
    layer_sizes : sequence of int, length L + 1
        ``(n_0, n_1, ..., n_L)``: input size, hidden sizes, output size; each >= 1.
    activations : str or sequence of str, default "sigmoid"
        One of ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``, ``"softmax"`` for every weight layer,
        or one name per weight layer (length L). Softmax only on the output layer, with cross-entropy. A
        single name with ``loss="cross_entropy"`` makes the hidden layers that activation and the output
        layer softmax (with ``loss="binary_cross_entropy"``, sigmoid).
    loss : {"squared", "cross_entropy", "binary_cross_entropy"}, default "squared"
        ``"squared"``: ``(1/m) sum_i 0.5 ||a_L(i) - y(i)||^2``. ``"cross_entropy"``: ``-(1/m) sum_ik y_ik
        log a_ik`` with a softmax output; targets are rows of probabilities or integer class labels.
        ``"binary_cross_entropy"``: ``-(1/m) sum_ik y_ik log a_ik + (1 - y_ik) log(1 - a_ik)`` with a sigmoid
        output, one independent probability per unit (the tutorial's logistic units; multilabel targets);
        targets in [0, 1] of shape (m, n_L).
    weight_decay : float or sequence of float, default 0.0
        The tutorial's lambda: adds ``(lambda / 2) sum_l ||W_l||_F^2``, not divided by m and never applied to
        the biases. scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its
        mini-batch solvers, to ``alpha / batch_size``). A sequence gives each weight layer its own lambda_l
        (length L; the tutorial's fine-tuning decays only the softmax layer: ``[0, ..., 0, lambda]``).
    sparsity : KLSparsity or None, default None
        The KL sparsity penalty on hidden (sigmoid) layers.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the parameters and of every computation (sums are accumulated in float64).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        The initial weights: ``W_l ~ Uniform(-r, r)``, ``r = sqrt(6 / (n_{l-1} + n_l + 1))``, drawn in float64
        layer by layer, then cast; biases 0. Formerly ``seed`` (accepted with a FutureWarning until ufldl 0.3).

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        All parameters in one contiguous vector, laid out ``[W_1, ..., W_L, b_1, ..., b_L]`` with each
        ``W_l`` in row-major order. Assigning to ``net.theta`` copies into it.
    weights : list of ndarray
        ``weights[l-1]`` is ``W_l``, shape ``(n_l, n_{l-1})``: a writable view into ``theta``.
    biases : list of ndarray
        ``biases[l-1]`` is ``b_l``, shape ``(n_l,)``: a writable view into ``theta``.

    Notes
    -----
    Inputs of another dtype, order or layout are converted (copied) to the network's dtype and C order; a
    ``grad`` buffer is never converted and must match exactly. NaN or inf in inputs raise a ValueError.

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> net = ufldl.Network([64, 25, 64], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(100, 64))
    >>> cost, grad = net.cost_and_grad(X, X)
    >>> grad.shape == net.theta.shape
    True
    """
