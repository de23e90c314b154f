"""Every public name users imported from ufldl 0.1.0 (before the estimators, the network and preprocessing moved
into subpackages) still imports from the same place, and is the object the new home defines."""

import importlib

import pytest

import ufldl

# ufldl.__all__ and the public modules' names as of commit eaa2f36 (the last layout before the move).
PACKAGE_NAMES = ['ACTIVATIONS', 'Adam', 'AutoencoderCollapseWarning', 'MinibatchResult', 'SGD', 'SoftmaxRegression',
                 'SparseAutoencoder', 'StackedAutoencoder', 'train', 'train_minibatch', 'LOSSES', 'KLSparsity',
                 'NonFiniteError', 'OptimizeResult', 'TrainingInterrupted', 'Network', 'NeuralNetClassifier',
                 'NeuralNetRegressor', 'PCA', 'PatchNormalizer', 'ZCAWhitening', 'blas_info', 'blas_threads',
                 'check_gradient', 'datasets', 'diagnostics', 'io', 'load', 'minimize', 'optimize', 'preprocessing',
                 'numerical_gradient', 'reference', 'relative_difference', 'save', 'viz']
MODULE_NAMES = {
    "ufldl.autoencoder": ["SparseAutoencoder", "AutoencoderCollapseWarning"],
    "ufldl.classifiers": ["SoftmaxRegression", "NeuralNetClassifier", "NeuralNetRegressor"],
    "ufldl.stacked": ["StackedAutoencoder", "FINETUNE_DECAY"],
    "ufldl.network": ["ACTIVATIONS", "LOSSES", "KLSparsity", "Network"],
    "ufldl.preprocessing": ["PCA", "ZCAWhitening", "PatchNormalizer", "remove_patch_mean"],
    "ufldl.datasets": ["load_natural_images", "load_digits", "downsample_images", "whiten_images", "sample_patches",
                       "normalize_patches"],
    "ufldl.viz": ["tile_features", "save_png", "plot_loss_curve"],
    "ufldl.diagnostics": ["feature_stats"],
    "ufldl.gradcheck": ["numerical_gradient", "check_gradient", "relative_difference"],
}


def test_the_package_keeps_every_name():
    assert set(PACKAGE_NAMES) <= set(ufldl.__all__)
    for name in ufldl.__all__:
        assert getattr(ufldl, name) is not None, name


@pytest.mark.parametrize("module", sorted(MODULE_NAMES))
def test_each_old_module_keeps_its_names(module):
    found = importlib.import_module(module)
    for name in MODULE_NAMES[module]:
        value = getattr(found, name)
        if hasattr(ufldl, name):
            assert value is getattr(ufldl, name), f"{module}.{name} is not ufldl.{name}"


def test_the_estimators_live_in_one_subpackage_on_one_base():
    from ufldl.estimators import NetworkEstimator
    for name in ("SparseAutoencoder", "SoftmaxRegression", "NeuralNetClassifier", "NeuralNetRegressor",
                 "StackedAutoencoder"):
        cls = getattr(ufldl, name)
        assert cls.__module__.startswith("ufldl.estimators.") and issubclass(cls, NetworkEstimator)
