"""Objective measures of learned features: are they localised, smooth, oriented edge detectors?

The tutorial judges its sparse autoencoder by eye: the features should look like localised, oriented edges.
``feature_stats`` turns that into numbers, computed per feature (each row of W1 seen as an image):

``spread``
    The spatial spread of the feature's energy: with ``e = w**2 / sum(w**2)`` over the pixels and ``c`` its
    centroid, ``sqrt(sum e * |pixel - c|**2)`` in pixels. Small: localised. Weights spread evenly over an 8x8
    tile give about 3.2 (random initial weights: 3.0-3.5).
``neighbour_correlation``
    The correlation of horizontally and vertically adjacent weights (their mean). Smooth features are near 1,
    noise near 0. (A "share of energy in the strongest pixels" is a misleading localisation measure: noisy,
    unstructured weights score high on it.)
``anisotropy``
    ``(l1 - l2) / (l1 + l2)`` of the structure tensor ``sum grad(w) grad(w)^T`` (its eigenvalues l1 >= l2):
    near 1 when the feature varies along one direction only (an edge or a bar), near 0 for blobs and noise.
``orientation``
    The angle of that direction in radians, in [0, pi): the way the feature changes, perpendicular to its
    edge.

Measured on ``ufldl demo``'s data (10,000 patches, seeds 0 and 1): the trained features have a median spread of
2.7 pixels, neighbour correlation 0.78 and anisotropy 0.85; the random initial weights 3.2, 0.0 and 0.16;
the same network trained without the sparsity penalty (beta = 0) 3.3, 0.52 and 0.21.
"""

from collections.abc import Sequence

import numpy as np

from ufldl._lib.types import ArrayLike, Float64Array
from ufldl._lib.validation import numeric_array, require_finite

__all__ = ["feature_stats"]


def _pairwise_correlation(a: Float64Array, b: Float64Array) -> Float64Array:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=1) / denominator, 0.0)


def feature_stats(W: ArrayLike, patch_shape: Sequence[int]) -> dict[str, Float64Array]:
    """Localisation, smoothness and orientation of each feature.

    Parameters
    ----------
    W : array_like, shape (n_features, height * width)
        One feature per row (``SparseAutoencoder.components_``, ``Network.weights[0]``), each a flattened
        image in row-major order.
    patch_shape : tuple of int
        ``(height, width)``, each >= 2.

    Returns
    -------
    stats : dict of str to ndarray, each of shape (n_features,)
        ``"spread"``, ``"neighbour_correlation"``, ``"anisotropy"``, ``"orientation"`` (see the module's
        documentation). A feature of all zeros has spread and anisotropy NaN, correlation 0.

    Examples
    --------
    >>> import numpy as np
    >>> edge = np.zeros((8, 8)); edge[:, 3] = -1; edge[:, 4] = 1          # a vertical edge, 2 pixels wide
    >>> stats = feature_stats(edge.reshape(1, 64), (8, 8))
    >>> float(stats["anisotropy"][0]) > 0.9, round(float(stats["spread"][0]), 2)
    (True, 2.35)
    """
    W = numeric_array(W, "W").astype(np.float64)
    try:
        height, width = (int(n) for n in patch_shape)
    except (TypeError, ValueError):
        raise TypeError(f"patch_shape must be a pair (height, width); got {patch_shape!r}") from None
    if height < 2 or width < 2:
        raise ValueError(f"patch_shape must be at least (2, 2); got {patch_shape!r}")
    if W.ndim != 2 or W.shape[1] != height * width:
        raise ValueError(f"W must have shape (n_features, {height * width}) for patch_shape {patch_shape}; got "
                         f"{W.shape}")
    require_finite(W, "W")
    n = W.shape[0]
    tiles = W.reshape(n, height, width)
    rows, cols = np.mgrid[0:height, 0:width]
    with np.errstate(invalid="ignore", divide="ignore"):
        energy = tiles ** 2 / (tiles ** 2).sum(axis=(1, 2), keepdims=True)
        cy = (energy * rows).sum(axis=(1, 2))[:, None, None]
        cx = (energy * cols).sum(axis=(1, 2))[:, None, None]
        spread = np.sqrt((energy * ((rows - cy) ** 2 + (cols - cx) ** 2)).sum(axis=(1, 2)))
    horizontal = _pairwise_correlation(tiles[:, :, :-1].reshape(n, -1), tiles[:, :, 1:].reshape(n, -1))
    vertical = _pairwise_correlation(tiles[:, :-1, :].reshape(n, -1), tiles[:, 1:, :].reshape(n, -1))
    gy, gx = np.gradient(tiles, axis=(1, 2))
    jxx, jyy, jxy = (gx * gx).sum(axis=(1, 2)), (gy * gy).sum(axis=(1, 2)), (gx * gy).sum(axis=(1, 2))
    # The eigenvalues' difference over their sum, written without the eigenvalues themselves.
    with np.errstate(invalid="ignore", divide="ignore"):
        anisotropy = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / (jxx + jyy)
    orientation = np.mod(0.5 * np.arctan2(2 * jxy, jxx - jyy), np.pi)
    return {"spread": spread, "neighbour_correlation": (horizontal + vertical) / 2, "anisotropy": anisotropy,
            "orientation": orientation}
