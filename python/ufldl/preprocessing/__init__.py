"""The UFLDL tutorial's preprocessing as scikit-learn transformers: PCA and PCA whitening, ZCA whitening,
and the sparse autoencoder exercise's patch normalisation.

Rows are examples, ``X`` of shape ``(n_samples, n_features)`` (the tutorial's examples are columns, so its
``x * x' / m`` is ``X.T @ X / m`` here). Computed in float64; float32 input gives float32 output.

- ``whitening``: :class:`PCA` and :class:`ZCAWhitening`, on their shared eigendecomposition of the covariance;
- ``patches``: :class:`PatchNormalizer` and :func:`remove_patch_mean`;
- ``base``: what every transformer here shares (dtype handling, input checks).
"""

from ufldl.preprocessing.patches import PatchNormalizer, remove_patch_mean
from ufldl.preprocessing.whitening import PCA, ZCAWhitening

__all__ = ["PCA", "ZCAWhitening", "PatchNormalizer", "remove_patch_mean"]
