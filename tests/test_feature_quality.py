"""The demo's result is the tutorial's: localised, smooth, oriented edge detectors (measured, not eyeballed).

Trains the tutorial's network on ``ufldl demo``'s data (10,000 normalised 8x8 patches of the whitened
photographs, rho 0.01, beta 3, lambda 1e-4, 400 L-BFGS iterations) and compares ``ufldl.diagnostics
.feature_stats`` of the learned features with the random initial weights and with the same training without
the sparsity penalty (beta = 0). Measured (seeds 0 and 1), medians over the 25 features:

=================  ======  =====================  ==========
                   spread  neighbour correlation  anisotropy
=================  ======  =====================  ==========
initial weights    3.2     0.0                    0.16
beta = 0           3.3     0.52                   0.21
beta = 3           2.7     0.78                   0.85
=================  ======  =====================  ==========

The bounds below sit between those, with margins.
"""

import numpy as np
import pytest

import ufldl
from ufldl import datasets
from ufldl.diagnostics import feature_stats


@pytest.fixture(scope="module")
def demo_patches():
    images = datasets.whiten_images(datasets.downsample_images(datasets.load_natural_images(), 3), f0=0.3)
    return datasets.normalize_patches(datasets.sample_patches(images, 10000, 8, random_state=0))


def trained(X, beta, seed=0):
    net = ufldl.Network([64, 25, 64], weight_decay=1e-4,
                        sparsity=ufldl.KLSparsity(0.01, beta) if beta else None, random_state=seed)
    initial = net.weights[0].copy()
    ufldl.train(net, X, X, "lbfgs", max_iter=400)
    return net, initial


def medians(W):
    return {name: float(np.median(values)) for name, values in feature_stats(W, (8, 8)).items()}


def test_features_are_localised_smooth_oriented_edges(demo_patches):
    X = demo_patches
    net, initial = trained(X, beta=3.0)
    plain, _ = trained(X, beta=0.0)
    learned, random, unsparse = medians(net.weights[0]), medians(initial), medians(plain.weights[0])
    # Localised: the energy gathers in part of the tile, unlike random or unsparse weights.
    assert learned["spread"] < 2.95 < min(random["spread"], unsparse["spread"])
    # Smooth: neighbouring weights agree (noise does not; beta = 0 is smoother than noise, not than edges).
    assert learned["neighbour_correlation"] > 0.7 and random["neighbour_correlation"] < 0.15
    assert unsparse["neighbour_correlation"] < 0.65
    # Oriented: each feature varies along one direction.
    assert learned["anisotropy"] > 0.7 > 0.35 > max(random["anisotropy"], unsparse["anisotropy"])
    stats = feature_stats(net.weights[0], (8, 8))
    assert (stats["neighbour_correlation"] > 0.5).all()  # every feature, not just most
    # At many orientations: each quarter of [0, pi) holds at least two features.
    counts = np.histogram(stats["orientation"], bins=4, range=(0, np.pi))[0]
    assert counts.min() >= 2, counts
    # No dead units: every feature has weight, and every unit fires near rho on average.
    norms = np.linalg.norm(net.weights[0], axis=1)
    assert norms.min() > 0.5 * norms.max()
    rho_hat = net.mean_activations(X)[0]
    assert np.all((rho_hat > 0.005) & (rho_hat < 0.03))
    # The reconstruction is far better than predicting the mean patch (measured: 0.258 against 0.481).
    mean_patch_cost = 0.5 * ((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()
    assert net.cost_terms(X, X)["data"] < 0.6 * mean_patch_cost


def test_feature_stats_on_known_shapes():
    edge = np.zeros((8, 8))
    edge[:, 3], edge[:, 4] = -1.0, 1.0  # vertical: changes along x
    bar = edge.T.copy()
    dot = np.zeros((8, 8))
    dot[2, 5] = 1.0
    noise = np.random.default_rng(0).normal(size=(8, 8))
    rows, cols = np.mgrid[0:8, 0:8]
    blob = np.exp(-((rows - 3.5) ** 2 + (cols - 3.5) ** 2) / 8)
    stats = feature_stats(np.stack([edge, bar, dot, noise, blob]).reshape(5, 64), (8, 8))
    assert stats["spread"][2] == 0.0 and stats["spread"][0] == pytest.approx(np.sqrt(0.25 + 5.25))
    assert stats["anisotropy"][0] == pytest.approx(1.0) and stats["anisotropy"][1] == pytest.approx(1.0)
    assert stats["orientation"][0] == pytest.approx(0.0) and stats["orientation"][1] == pytest.approx(np.pi / 2)
    assert abs(stats["neighbour_correlation"][3]) < 0.3 < 0.7 < stats["neighbour_correlation"][4]
    assert stats["anisotropy"][4] < 0.01  # a round blob has no orientation
    with pytest.raises(ValueError, match=r"W must have shape \(n_features, 64\) for patch_shape \(8, 8\)"):
        feature_stats(np.zeros((3, 63)), (8, 8))
    with pytest.raises(ValueError, match="W must be finite"):
        feature_stats(np.full((1, 4), np.nan), (2, 2))
