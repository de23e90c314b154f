"""The warnings an autoencoder's fit gives when its result or its data is not what the user meant, and the checks
that give them."""

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ufldl import scale
from ufldl._lib.types import RowsLike
from ufldl.reference import init_scale

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["AutoencoderCollapseWarning", "DecoderRangeWarning", "warn_if_outside_unit_range", "warn_if_collapsed"]


class AutoencoderCollapseWarning(UserWarning):
    """A sparse autoencoder learned the trivial solution: weights near zero, every hidden unit at rho, and a
    reconstruction no better than predicting the mean example. Too much weight decay for the data (measured
    on the 8x8 digits: lambda = 3e-3, the tutorial's value for MNIST, collapses the second autoencoder of a
    stack; 1e-4 does not) is the usual cause."""


class DecoderRangeWarning(UserWarning):
    """A sigmoid decoder was given data outside [0, 1], which its reconstructions can never reach (the raw digits,
    0..16, score about -1600 where the scaled ones score about -2): scale the data into [0, 1] (the tutorial maps
    patches to [0.1, 0.9]: ``ufldl.PatchNormalizer``) or use ``decoder="linear"``."""


def warn_if_outside_unit_range(X: RowsLike, stacklevel: int) -> None:
    """A DecoderRangeWarning when X holds values outside [0, 1] (``stacklevel`` counted from the caller)."""
    low, high = scale.value_range(X)
    if low < 0.0 or high > 1.0:
        warnings.warn(f"decoder='sigmoid' reconstructs values in (0, 1), but X holds values in [{low:.4g}, "
                      f"{high:.4g}]: scale X into [0, 1] (ufldl.PatchNormalizer maps patches to [0.1, 0.9]) "
                      "or use decoder='linear'", DecoderRangeWarning, stacklevel=stacklevel + 1)


# (ae: typed as its scikit-learn base, as ufldl.estimators.autoencoder, which defines its class, imports this module)
def warn_if_collapsed(ae: "BaseEstimator", X: RowsLike, stacklevel: int) -> None:
    """An AutoencoderCollapseWarning when the fitted SparseAutoencoder ``ae`` is the trivial solution on X
    (``stacklevel`` counted from the caller).

    All three signs at once, so that a merely weak fit on structureless data does not warn: weights below 1% of
    the initial scale, every rho_hat within 1% of rho, and a reconstruction cost at least 99% of that of
    predicting the mean example.
    """
    if ae.beta == 0 or ae.activation != "sigmoid":
        return
    initial_scale = init_scale(X.shape[1], ae.n_hidden)
    largest = np.abs(ae.network_.weights[0]).max()
    if largest >= 0.01 * initial_scale or np.abs(ae.rho_hat_ - ae.rho).max() > 0.01 * ae.rho:
        return
    mean_cost = 0.5 * scale.column_variance_sum(X)
    cost = -ae.score(X)
    if cost >= 0.99 * mean_cost:
        warnings.warn(
            f"the sparse autoencoder collapsed to the trivial solution: max |W1| = {largest:.2g} (initial "
            f"scale {initial_scale:.2g}), every hidden unit's mean activation at rho = {ae.rho}, "
            f"reconstruction cost {cost:.4g} against {mean_cost:.4g} for predicting the mean example; lower "
            f"weight_decay (now {ae.weight_decay}) or beta", AutoencoderCollapseWarning, stacklevel=stacklevel + 1)
