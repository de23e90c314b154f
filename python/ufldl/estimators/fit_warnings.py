"""The warnings an autoencoder's fit gives when its result or its data is not what the user meant."""

__all__ = ["AutoencoderCollapseWarning", "DecoderRangeWarning"]


class AutoencoderCollapseWarning(UserWarning):
    """A sparse autoencoder learned the trivial solution: weights near zero, every hidden unit at rho, and a
    reconstruction no better than predicting the mean example. Too much weight decay for the data (measured
    on the 8x8 digits: lambda = 3e-3, the tutorial's value for MNIST, collapses the second autoencoder of a
    stack; 1e-4 does not) is the usual cause."""


class DecoderRangeWarning(UserWarning):
    """A sigmoid decoder was given data outside [0, 1], which its reconstructions can never reach (the raw digits,
    0..16, score about -1600 where the scaled ones score about -2): scale the data into [0, 1] (the tutorial maps
    patches to [0.1, 0.9]: ``ufldl.PatchNormalizer``) or use ``decoder="linear"``."""
