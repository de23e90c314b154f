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
    # The fitted attributes NetworkEstimator declares, typed for every estimator.
    assert_type(classifier.network_, ufldl.Network)
    assert_type(classifier.loss_curve_, list[float])
    assert_type(autoencoder.n_iter_, int)
    assert_type(classifier.best_validation_score_, float | None)
    assert_type(classifier.classes_, npt.NDArray[Any])
    assert classifier.n_features_in_ == 4 and classifier.validation_scores_ is None

    # The mini-batch solvers' partial_fit keeps its signature (scikit-learn's available_if is untyped), and the
    # decoder takes the estimators' own names ("linear", not the network's "identity").
    linear = ufldl.SparseAutoencoder(4, beta=0.0, decoder="linear", solver="adam", random_state=0)
    assert_type(linear.partial_fit(X), ufldl.SparseAutoencoder)
    assert linear.inverse_transform(linear.transform(X)).shape == X.shape
    softmax = ufldl.SoftmaxRegression(solver="sgd", random_state=0).partial_fit(X, labels, classes=[0, 1, 2])
    assert_type(softmax, ufldl.SoftmaxRegression)
    assert_type(softmax.decision_function(X), npt.NDArray[np.floating[Any]])
    regressor = ufldl.NeuralNetRegressor((3,), "tanh", solver="lbfgs", max_iter=5, random_state=0)
    assert_type(regressor.fit(X, X[:, 0]).predict(X), npt.NDArray[np.floating[Any]])
    assert_type(regressor.n_outputs_, int)
    stack = ufldl.StackedAutoencoder((4,), decoder=["linear"], pretrain_max_iter=3, finetune_max_iter=3,
                                     random_state=0).fit(X, labels)
    assert_type(stack.transform(X), npt.NDArray[np.floating[Any]])
    assert stack.predict(X).shape == (40,)

    # Preprocessing: float64 in, float64 out (float32 keeps float32).
    pca = ufldl.PCA(0.99, whiten=True, epsilon=1e-5).fit(X)
    assert_type(pca, ufldl.PCA)
    assert_type(pca.n_components_, int)
    rotated = pca.transform(X)
    assert_type(rotated, npt.NDArray[np.floating[Any]])
    assert np.allclose(pca.inverse_transform(rotated), X) == (pca.n_components_ == 8)
    zca = ufldl.ZCAWhitening(0.1).fit(X)
    assert_type(zca.whitening_, npt.NDArray[np.float64])
    assert np.allclose(zca.inverse_transform(zca.transform(X)), X)
    normalizer = ufldl.PatchNormalizer().fit(X)
    assert_type(normalizer.scale_, float)
    assert normalizer.transform(X.astype(np.float32)).dtype == np.float32
    assert_type(ufldl.preprocessing.remove_patch_mean(X), npt.NDArray[np.floating[Any]])

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
