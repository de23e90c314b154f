"""Plain NumPy implementation of ``docs/math.md``: the oracle the compiled core is tested against.

Readable next to the UFLDL tutorial rather than clever, vectorised over the batch, in the dtype of its inputs
(float32 in, float32 out). Each fused pass of the C++ core has a twin here with the same name, and
:func:`cost_and_grad` is written with them. Conventions (``docs/math.md#shapes-and-orientation``): one example per
row, ``X`` is ``(m, n_0)``, ``A_l`` is ``(m, n_l)``; ``W_l`` is ``(n_l, n_{l-1})`` (row i = incoming weights of unit
i, the tutorial's orientation), ``b_l`` is ``(n_l,)``; ``Z_l = A_{l-1} W_l^T + b_l``, ``A_l = f_l(Z_l)``;
``weights[l - 1]`` is ``W_l``. Weight decay is not divided by m: scikit-learn's MLP ``alpha`` is
``lambda = alpha / m`` with L-BFGS (``alpha / batch_size`` with its mini-batch solvers).
"""

from ufldl.reference.formulas import (ACTIVATIONS, LOSSES, activate, activation_derivative, adam_update,
                                      bias_activate, clip_rho_hat, hidden_delta, init_scale, init_weights,
                                      kl_divergence, kl_sparsity, output_sigmoid_bce, output_softmax_ce, output_squared,
                                      sgd_update)
from ufldl.reference.network import cost_and_grad, forward, init_params, sparse_autoencoder_cost
from ufldl.reference.lbfgs import lbfgs_polyinterp, lbfgs_two_loop
from ufldl.reference.one_pass import derivative_sums, one_pass_kl, one_pass_sums
from ufldl.reference.sparse_input import sparse_input_gradient, sparse_input_product

__all__ = [
    "ACTIVATIONS", "activate", "activation_derivative", "init_scale", "init_weights", "init_params", "bias_activate",
    "forward",
    "kl_divergence", "clip_rho_hat", "kl_sparsity", "output_squared", "output_softmax_ce", "output_sigmoid_bce",
    "hidden_delta",
    "cost_and_grad", "sparse_autoencoder_cost", "derivative_sums", "one_pass_sums", "one_pass_kl",
    "sparse_input_product", "sparse_input_gradient", "sgd_update", "adam_update", "lbfgs_two_loop", "lbfgs_polyinterp",
]
