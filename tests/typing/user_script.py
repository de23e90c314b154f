"""A user's script under ``mypy --strict`` (tests/test_typing.py checks it, and runs it): the public API's types.

Small sizes, so that running it takes a moment; ``assert_type`` states what a type checker must infer.
"""

import os
import tempfile
from typing import Any, assert_type

import numpy as np
import numpy.typing as npt

import ufldl
from ufldl import datasets, diagnostics, reference, scale, viz
from ufldl.optimize import MinibatchResult, OptimizeResult


def quadratic(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
    """f(theta) = 0.5 ||theta - 1||^2 and its gradient."""
    residual = theta - 1.0
    return 0.5 * float(residual @ residual), residual


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 0.9, size=(40, 8))
    labels = rng.integers(0, 3, size=40)

    net = ufldl.Network([8, 4, 8], sparsity=ufldl.KLSparsity(0.05, 3.0), weight_decay=1e-4, random_state=0)
    cost, grad = net.cost_and_grad(X, X)
    assert_type(cost, float)
    assert_type(grad, npt.NDArray[np.floating[Any]])
    assert_type(net.layer_sizes, tuple[int, ...])
    assert_type(net.copy(), ufldl.Network)
    assert_type(net.check_gradient(X[:5], X[:5]), dict[str, float])

    result = ufldl.train(net, X, X, "lbfgs", max_iter=5)
    assert_type(result, OptimizeResult)
    assert result.cost <= cost
    adam = ufldl.train_minibatch(net, X, X, ufldl.Adam(learning_rate=1e-3), batch_size=10, max_epochs=2,
                                 random_state=0)
    assert_type(adam, MinibatchResult)

    fitted = ufldl.minimize(quadratic, np.zeros(3), "lbfgs", max_iter=20)
    assert_type(fitted.theta, npt.NDArray[Any])
    assert np.allclose(fitted.theta, 1.0, atol=1e-4)
    assert ufldl.check_gradient(quadratic, np.full(3, 0.5)) < 1e-8

    autoencoder = ufldl.SparseAutoencoder(4, max_iter=5, random_state=0).fit(X)
    assert_type(autoencoder, ufldl.SparseAutoencoder)
    codes = autoencoder.transform(X)
    assert_type(codes, npt.NDArray[np.floating[Any]])
    assert codes.shape == (40, 4)

    classifier = ufldl.NeuralNetClassifier((5,), max_iter=5, random_state=0).fit(codes, labels)
    proba = classifier.predict_proba(codes)
    assert_type(proba, npt.NDArray[np.floating[Any]])
    assert proba.shape == (40, 3)

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "autoencoder.npz")
        ufldl.save(autoencoder, path)
        loaded = ufldl.load(path)  # any registered kind: the caller knows which
        assert isinstance(loaded, ufldl.SparseAutoencoder)
        assert np.array_equal(loaded.transform(X), codes)

        # Pictures and feature statistics of the first layer's weights (4 features of 8 = 2 x 4 pixels).
        tiles = viz.tile_features(net.weights[0], patch_shape=(2, 4), border=1)
        assert_type(tiles, npt.NDArray[np.float64])
        png = viz.save_png(os.path.join(directory, "features.png"), tiles, scale=2)
        assert_type(png, str)
        stats = diagnostics.feature_stats(net.weights[0], (2, 4))
        assert_type(stats, dict[str, npt.NDArray[np.float64]])
        assert stats["spread"].shape == (4,)

    patches = datasets.normalize_patches(datasets.sample_patches([rng.uniform(size=(16, 16))], n_patches=20,
                                                                 patch_size=4, random_state=0))
    assert_type(patches, npt.NDArray[np.float64])
    assert patches.shape == (20, 16) and patches.min() >= 0.1

    # Rows read in blocks: the streamed cost is the in-memory one, up to rounding.
    blocks = scale.RowBlocks(X, block_rows=16)
    assert_type(blocks.shape, tuple[int, ...])
    assert scale.streams(blocks)
    streamed_cost, streamed_grad = scale.StreamedObjective(net, blocks, blocks)(net.theta)
    assert_type(streamed_cost, float)
    assert abs(streamed_cost - net.cost(X, X)) <= 1e-9 * abs(net.cost(X, X))
    assert scale.per_row(scale.forward(net, blocks, stop=1), np.tanh, dtype=np.float64).shape == (40, 4)
    adam_autoencoder = ufldl.SparseAutoencoder(4, solver="adam", max_iter=1, random_state=0)
    assert_type(scale.partial_fit_blocks(adam_autoencoder, blocks), ufldl.SparseAutoencoder)

    # The NumPy twin of the network's cost.
    twin_cost, grad_weights, _, terms = reference.cost_and_grad(
        net.weights, net.biases, X, X, net.activations, weight_decay=1e-4, sparsity_layers=(1,), rho=0.05, beta=3.0)
    assert_type(twin_cost, float)
    assert_type(grad_weights, list[npt.NDArray[np.floating[Any]]])
    assert abs(twin_cost - net.cost(X, X)) <= 1e-9 * twin_cost and set(terms) == {"data", "decay", "sparsity"}
    activations = reference.forward(net.weights, net.biases, net.activations, X)
    assert np.allclose(activations[-1], net.forward(X))


if __name__ == "__main__":
    main()
