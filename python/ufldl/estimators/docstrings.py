"""The estimators' docstrings (numpydoc): the parameter and attribute sections they share, filled in per class
with ``str.format``, and ``SparseAutoencoder``'s whole (its own wording throughout)."""

__all__ = ["DOC_SOLVER", "DOC_OPTIMIZER", "DOC_STOPPING", "DOC_STOP_CLASSIFIER", "DOC_CLASSES_CHANGE", "DOC_LBFGS",
           "DOC_REST", "DOC_HIDDEN", "DOC_FIT_ATTRIBUTES", "DOC_MLP_ATTRIBUTES", "DOC_SPARSE_AUTOENCODER"]

DOC_SOLVER = """\
    solver : {{"lbfgs", "lbfgsb", "cg", "gd", "sgd", "adam"}}, default "{solver}"
        ``"lbfgs"`` (minFunc's L-BFGS, the tutorial's, run in the compiled core), ``"lbfgsb"``, ``"cg"`` and
        ``"gd"`` minimise the cost of the whole training set (SciPy's L-BFGS-B and CG; batch gradient
        descent). ``"sgd"`` and ``"adam"`` train on mini-batches, with the epochs run in the compiled core,
        and offer ``partial_fit``.
    max_iter : int, default {max_iter}
        Iterations (full-batch solvers) or epochs (mini-batch solvers), >= 1.
    tol : float or None, default None
        None: 1e-9 for the full-batch solvers (relative decrease of the cost per iteration), 1e-4 for the
        mini-batch ones (decrease of the epoch loss, or rise of the validation score, as in scikit-learn's
        MLP).
    batch_size : int or "auto", default "auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : float or None, default None
        Step size of ``"gd"``, ``"sgd"`` and ``"adam"``, > 0. None: 0.1, 0.01 and 0.001 respectively.
"""
DOC_OPTIMIZER = """\
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        Mini-batch solvers: how the learning rate changes between epochs (scikit-learn's MLP's
        ``learning_rate`` choices; see ``ufldl.SGD``).
    power_t : float, default 0.5
        Exponent of ``"invscaling"``.
    momentum : float, default 0.9
        ``"sgd"``: momentum in [0, 1).
    nesterov : bool, default True
        ``"sgd"``: Nesterov's momentum.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        ``"adam"``'s parameters.
    shuffle : bool, default True
        Mini-batch solvers: reshuffle the examples every epoch.
"""
DOC_STOPPING = """\
    early_stopping : bool, default False
        Mini-batch solvers only (ignored by the full-batch ones, as in scikit-learn): hold out
        ``validation_fraction`` of the training data, {split}; score it after every epoch
        ({score}); stop when the score has not risen by ``tol`` for more than
        ``n_iter_no_change`` epochs, and keep the parameters of the best epoch. The validation set must
        hold at least 2 examples; a classifier's stratified split that cannot be made (a class with one
        example, fewer rows than classes) falls back to an unstratified one with a warning.
    validation_fraction : float, default 0.1
        In (0, 1).
    n_iter_no_change : int or numpy.inf, default 10
        Epochs (or ``"gd"`` iterations) without improvement by ``tol`` that are tolerated; the next one ends
        training (scikit-learn's MLP counts so). ``numpy.inf``: never stop for want of progress.
"""
DOC_STOP_CLASSIFIER = DOC_STOPPING.format(split="stratified by class",
                                           score="accuracy, as scikit-learn's MLPClassifier")
DOC_CLASSES_CHANGE = "\n        Labels other than the previous fit's are an error (as in scikit-learn)."
DOC_LBFGS = """\
    max_corrections : int, default 100
        ``"lbfgs"`` and ``"lbfgsb"``: correction pairs kept (the tutorial's minFunc used 100).
"""
DOC_REST = """\
    max_fun : int or None, default None
        Full-batch solvers: the cap on cost evaluations (scikit-learn's MLP ``max_fun``; ``ufldl.train``'s
        ``max_evals``), >= 1; training stops after the iteration that reaches it. None: the solver's own cap
        (minFunc's 1000 for ``"lbfgs"`` at 400 iterations).
    dtype : {{"float64", "float32"}}, default "float64"
        Precision of the parameters and of the training computations.
    random_state : int, RandomState, Generator or None, default None
        {random}the mini-batch shuffles and the validation split.
    verbose : int, default 0
        Progress lines on standard output: 1 for every 10th iteration or every epoch, 2 for every iteration.
    warm_start : bool, default False
        ``fit`` continues from the previous solution (and mini-batch optimiser state, unless the solver or its
        hyperparameters changed) when the architecture is the same, and starts afresh otherwise. X must have
        the number of features of the previous fit (ValueError otherwise, as in scikit-learn).{classes}
"""
DOC_HIDDEN = """\
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer, each >= 1 (``()``: no hidden layer).
    activation : str or sequence of str, default "relu"
        ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"``: one name for every hidden layer, or one
        name per hidden layer.
    weight_decay : float, default 1e-4
        The tutorial's lambda, >= 0: ``(lambda / 2) sum ||W||_F^2``, not divided by m, biases excluded.
        scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its mini-batch
        solvers, to ``alpha / batch_size``).
"""
DOC_FIT_ATTRIBUTES = """\
    loss_curve_ : list of float
        The cost after each iteration (full-batch) or the loss of each epoch (mini-batch), over every call.
    loss_ : float or None
        The training cost of the last iteration or epoch, ``loss_curve_[-1]``.
    best_loss_ : float or None
        ``min(loss_curve_)``; None with early stopping (as in scikit-learn).
    n_iter_ : int
        Iterations or epochs run (``fit`` with ``warm_start`` and ``partial_fit`` add to it).
    t_ : int
        Training examples processed: by the mini-batch updates (scikit-learn's MLP ``t_``), or
        ``n_evals * n_samples`` for the full-batch solvers (each cost evaluation reads every example).
    converged_ : bool
        Whether the solver's convergence test (not ``max_iter``) ended the last training.
    validation_scores_ : list of float or None
        With ``early_stopping`` (mini-batch solvers): the validation score after each epoch, one per epoch
        of the last ``fit``.
    best_validation_score_ : float or None
        Their maximum; its epoch's parameters are the ones kept.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had feature names (a DataFrame).
"""

DOC_MLP_ATTRIBUTES = """\
    network_ : ufldl.Network
        ``[n_features, *hidden_layer_sizes, n_outputs_]``; its ``weights`` in the tutorial's orientation
        (n_out, n_in).
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (n_in, n_out): scikit-learn's orientation, read-only transposed views of
        ``network_.weights``.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (n_out,), read-only views of ``network_.biases``.
    n_layers_ : int
        Layers including input and output (scikit-learn's count), ``len(hidden_layer_sizes) + 2``.
    n_outputs_ : int
        Output units: {outputs}.
    out_activation_ : str
        ``"{out}"``.
"""

# SparseAutoencoder's whole docstring, kept here so that its module holds the estimator's code alone.
DOC_SPARSE_AUTOENCODER = """\
Sparse autoencoder (UFLDL): learns ``n_hidden`` features whose average activation is ``rho``.

    A network ``n_features - n_hidden - n_features`` is trained to reconstruct its input, minimising

        J = (1/m) sum_i 0.5 ||x_hat(i) - x(i)||^2 + (lambda/2) (||W1||^2 + ||W2||^2)
            + beta sum_j KL(rho || rho_hat_j),

    ``rho_hat_j`` the mean activation of hidden unit j (the tutorial's cost; see ``docs/math.md``).
    ``transform`` gives the hidden activations (the learned features), ``inverse_transform`` decodes them.

    Parameters
    ----------
    n_hidden : int, default 25
        Hidden units (features), >= 1.
    rho : float, default 0.01
        Target mean activation of each hidden unit, in (0, 1).
    beta : float, default 3.0
        Weight of the sparsity penalty, >= 0 (0 switches it off).
    weight_decay : float, default 1e-4
        The tutorial's lambda, >= 0: ``(lambda / 2) sum ||W||_F^2``, not divided by m, biases excluded.
        scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its mini-batch
        solvers, to ``alpha / batch_size``).
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        The hidden layer's activation. The KL penalty needs sigmoid units: others need ``beta=0``.
    decoder : {"sigmoid", "linear"}, default "sigmoid"
        The output layer. ``"sigmoid"`` reconstructs inputs in [0, 1] (the tutorial scales its patches to
        [0.1, 0.9]); ``"linear"`` is the tutorial's linear decoder, for inputs of any range (whitened data,
        colour patches). ``fit`` warns (``DecoderRangeWarning``) when a sigmoid decoder is given data outside
        [0, 1].
    solver : {"lbfgs", "lbfgsb", "cg", "gd", "sgd", "adam"}, default "lbfgs"
        ``"lbfgs"`` (minFunc's L-BFGS, the tutorial's, in the core), ``"lbfgsb"``, ``"cg"``, ``"gd"``: the whole
        training set per iteration (SciPy's L-BFGS-B and CG; batch gradient descent). ``"sgd"`` and ``"adam"``
        train on mini-batches, with epochs run in the compiled core, and offer ``partial_fit``.
    max_iter : int, default 400
        Iterations (full-batch solvers) or epochs (mini-batch solvers).
    tol : float or None, default None
        None: 1e-9 for the full-batch solvers (relative decrease of the cost per iteration, minFunc's
        ``progTol``), 1e-4 for the mini-batch ones (decrease of the epoch loss, or rise of the validation
        score, over ``n_iter_no_change`` epochs, as in scikit-learn's MLP).
    batch_size : int or "auto", default "auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : float or None, default None
        Step size for ``"gd"``, ``"sgd"`` and ``"adam"``. None: 0.1, 0.01 and 0.001 respectively.
    momentum : float, default 0.9
        ``"sgd"``: momentum in [0, 1).
    nesterov : bool, default True
        ``"sgd"``: Nesterov's momentum.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        ``"adam"``'s parameters.
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        Mini-batch solvers: how the learning rate changes between epochs (scikit-learn's MLP's
        ``learning_rate`` choices; see ``ufldl.SGD``).
    power_t : float, default 0.5
        Exponent of ``"invscaling"``.
    shuffle : bool, default True
        Mini-batch solvers: reshuffle the examples every epoch.
    early_stopping : bool, default False
        Mini-batch solvers: hold out ``validation_fraction`` of the data (at least 2 examples), stop when
        its score (minus the cost) has not improved for more than ``n_iter_no_change`` epochs and keep the
        best epoch's parameters.
    validation_fraction : float, default 0.1
        In (0, 1).
    n_iter_no_change : int or numpy.inf, default 10
        Epochs (or gradient-descent iterations) without improvement by ``tol`` that are tolerated; the next
        one ends training (scikit-learn's MLP counts so). ``numpy.inf``: never stop for want of progress.
    rho_hat_decay : float or None, default None
        Mini-batch solvers: None estimates rho_hat from each batch; a float in [0, 1) uses an exponential
        moving average across batches (see ``ufldl.train_minibatch``).
    max_corrections : int, default 100
        ``"lbfgs"``: correction pairs kept (the tutorial's minFunc used 100).
    max_fun : int or None, default None
        Full-batch solvers: the cap on cost evaluations (scikit-learn's MLP ``max_fun``), >= 1. None: the
        solver's own (minFunc's 1000 for ``"lbfgs"`` at 400 iterations).
    warm_start : bool, default False
        Start ``fit`` from the previous solution (and mini-batch optimiser state) instead of a new
        initialisation. X must then have the number of features of the previous fit (ValueError otherwise,
        as in scikit-learn); a changed ``n_hidden``, ``activation``, ``decoder`` or ``dtype`` starts afresh.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the parameters and of the computations; ``transform`` returns this dtype.
    random_state : int, RandomState, Generator or None, default None
        Initial weights (the tutorial's uniform scheme), shuffles and the validation split.
    verbose : int, default 0
        Progress lines on standard output: 1 for every 10th iteration or every epoch, 2 for every iteration.

    Attributes
    ----------
    network_ : ufldl.Network
        The trained network ``[n_features, n_hidden, n_features]``.
    components_ : ndarray, shape (n_hidden, n_features)
        W1: row j holds hidden unit j's incoming weights (read-only view into ``network_``). Tile the rows
        with ``ufldl.viz.tile_features`` to see the features.
    intercept_hidden_ : ndarray, shape (n_hidden,)
        b1 (read-only view).
    intercept_visible_ : ndarray, shape (n_features,)
        b2 (read-only view).
    decoder_weights_ : ndarray, shape (n_features, n_hidden)
        W2 (read-only view).
    loss_curve_ : list of float
        The cost after each iteration (full-batch) or the loss of each epoch (mini-batch).
    loss_ : float or None
        The training cost of the last iteration or epoch, ``loss_curve_[-1]``.
    best_loss_ : float or None
        ``min(loss_curve_)``; None with early stopping (as in scikit-learn).
    n_iter_ : int
        Iterations or epochs run (over all ``partial_fit`` calls).
    t_ : int
        Training examples processed: by the mini-batch updates (scikit-learn's MLP ``t_``), or
        ``n_evals * n_samples`` for the full-batch solvers (each cost evaluation reads every example).
    converged_ : bool
        Whether the solver's convergence test (not ``max_iter``) ended the last fit.
    rho_hat_ : ndarray, shape (n_hidden,)
        Mean activation of each hidden unit on the training data, with the final parameters.
    validation_scores_ : list of float or None
        With ``early_stopping``: the score on the held-out data after each epoch.
    best_validation_score_ : float or None
        With ``early_stopping``: the best of them (its parameters are the ones kept).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had feature names (a DataFrame).

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(500, 16))
    >>> ae = ufldl.SparseAutoencoder(n_hidden=5, rho=0.05, max_iter=100, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.components_.shape
    ((500, 5), (5, 16))
    >>> bool(ae.score(X) > -np.var(X, axis=0).sum())  # better than predicting the mean
    True
    """
