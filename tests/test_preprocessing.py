"""ufldl.preprocessing: PCA, ZCA whitening and patch normalisation, tested against their definitions."""

import numpy as np
import pytest
import sklearn.decomposition
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from ufldl.preprocessing import PCA, PatchNormalizer, ZCAWhitening, remove_patch_mean

RTOL = 1e-10  # float64 results, relative to the size of the quantity compared


def correlated(seed=0, m=500, n=6):
    """Correlated Gaussian data with a nonzero mean and well-separated variances."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)) @ rng.normal(size=(n, n)) + 3


def rank_deficient(seed=0, m=200, n=6, rank=3):
    """Data that spans only ``rank`` directions: its covariance has n - rank zero eigenvalues."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, rank)) @ rng.normal(size=(rank, n)) + 1


def heavy_tailed_patches(seed=0, m=300, n=64):
    """Patch-like rows with outliers, so that clipping at 3 standard deviations happens."""
    rng = np.random.default_rng(seed)
    return 0.5 + 0.1 * rng.standard_t(df=3, size=(m, n)) + rng.uniform(size=(m, 1))


def covariance(Z):
    """The covariance divided by m, as the tutorial computes it."""
    Zc = Z - Z.mean(axis=0)
    return Zc.T @ Zc / Z.shape[0]


def assert_close(actual, desired, rtol=RTOL):
    """max |actual - desired| <= rtol * max |desired| (a relative bound on the whole array)."""
    desired = np.asarray(desired)
    np.testing.assert_allclose(actual, desired, rtol=0, atol=rtol * max(np.abs(desired).max(), 1e-300))


def random_rotation(rng, n):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))  # Haar-distributed orthogonal matrix


# ---------------------------------------------------------------------------------------------------- PCA


def test_pca_rotation_diagonalises_the_covariance():
    X = correlated()
    pca = PCA().fit(X)
    C = covariance(pca.transform(X))
    off_diagonal = C - np.diag(np.diag(C))
    assert np.abs(off_diagonal).max() <= RTOL * np.abs(C).max()
    assert_close(np.diag(C), pca.explained_variance_)
    assert np.all(np.diff(pca.explained_variance_) <= 0)  # descending
    # The eigenvalues are those of the covariance divided by m.
    assert_close(pca.eigenvalues_, np.linalg.eigvalsh(covariance(X))[::-1])
    assert_close(pca.mean_, X.mean(axis=0))
    assert pca.n_components_ == 6 and pca.n_features_in_ == 6
    assert_close(pca.explained_variance_ratio_, pca.eigenvalues_ / pca.eigenvalues_.sum())


@pytest.mark.parametrize("k", [2, 6])
def test_pca_components_are_orthonormal_eigenvectors(k):
    X = correlated()
    pca = PCA(k).fit(X)
    V = pca.components_
    assert V.shape == (k, 6)
    assert_close(V @ V.T, np.eye(k))
    assert_close(V @ covariance(X), pca.explained_variance_[:, None] * V)  # rows: v Sigma = lambda v
    # Deterministic signs: each component's largest-magnitude entry is positive.
    assert np.all(V[np.arange(k), np.abs(V).argmax(axis=1)] > 0)


def test_pca_signs_do_not_depend_on_the_order_of_the_examples():
    X = correlated()
    a = PCA().fit(X).components_
    b = PCA().fit(X[np.random.default_rng(1).permutation(len(X))]).components_
    assert_close(a, b, rtol=1e-8)


@pytest.mark.parametrize("whiten, epsilon", [(False, 0.0), (True, 0.0), (True, 0.5)])
def test_pca_inverse_transform_undoes_transform(whiten, epsilon):
    X = correlated()
    pca = PCA(whiten=whiten, epsilon=epsilon).fit(X)
    assert_close(pca.inverse_transform(pca.transform(X)), X)


def test_pca_inverse_transform_with_fewer_components_is_the_projection():
    X = correlated()
    pca = PCA(3).fit(X)
    X_hat = pca.inverse_transform(pca.transform(X))
    Xc, V = X - pca.mean_, pca.components_
    assert_close(X_hat, Xc @ V.T @ V + pca.mean_)
    # The mean squared reconstruction error is the variance of the dropped components.
    assert np.mean(np.sum((X - X_hat) ** 2, axis=1)) == pytest.approx(pca.eigenvalues_[3:].sum(), rel=1e-10)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.99, 0.999, 1.0])
def test_pca_retained_variance_picks_the_smallest_k(fraction):
    X = correlated() * np.array([10, 5, 2, 1, 0.5, 0.1])  # a wide spread of variances
    pca = PCA(fraction).fit(X)
    k, retained = pca.n_components_, np.cumsum(pca.eigenvalues_) / pca.eigenvalues_.sum()
    assert retained[k - 1] >= fraction * (1 - 1e-12)
    assert k == 1 or retained[k - 2] < fraction  # k - 1 components are not enough
    assert pca.components_.shape == (k, 6) and pca.explained_variance_.shape == (k,)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(retained[k - 1], rel=1e-12)


def test_pca_retaining_all_variance_drops_exactly_the_zero_eigenvalues():
    assert PCA(1.0).fit(rank_deficient(rank=3)).n_components_ == 3


def test_pca_agrees_with_scikit_learn_up_to_sign_and_m_over_m_minus_1():
    X = correlated()
    m = len(X)
    ours = PCA(4).fit(X)
    theirs = sklearn.decomposition.PCA(4, svd_solver="full").fit(X)
    assert_close(ours.explained_variance_ * m / (m - 1), theirs.explained_variance_)
    assert_close(ours.explained_variance_ratio_, theirs.explained_variance_ratio_)
    signs = np.sign(np.sum(ours.components_ * theirs.components_, axis=1))
    assert_close(ours.components_, signs[:, None] * theirs.components_)
    assert_close(ours.transform(X), signs * theirs.transform(X))
    # Whitened: scikit-learn divides by sqrt(m / (m - 1) * lambda).
    ours_white = PCA(4, whiten=True).fit(X).transform(X)
    theirs_white = sklearn.decomposition.PCA(4, whiten=True, svd_solver="full").fit(X).transform(X)
    assert_close(ours_white, signs * theirs_white * np.sqrt(m / (m - 1)))


def test_pca_whitening_gives_identity_covariance():
    X = correlated()
    Z = PCA(whiten=True).fit(X).transform(X)
    assert_close(covariance(Z), np.eye(6))


def test_pca_whitening_with_epsilon_gives_variances_lambda_over_lambda_plus_epsilon():
    X = correlated()
    pca = PCA(whiten=True, epsilon=0.7).fit(X)
    lam = pca.explained_variance_
    assert_close(covariance(pca.transform(X)), np.diag(lam / (lam + 0.7)))


def test_pca_whitening_refuses_a_zero_eigenvalue_without_epsilon():
    X = rank_deficient(rank=3)
    with pytest.raises(ValueError, match=r"epsilon must make every eigenvalue \+ epsilon > .*got epsilon = 0 "
                                         r"and eigenvalue 3"):
        PCA(whiten=True).fit(X)
    # Fine when the zero eigenvalues are not kept, when epsilon > 0, or without whitening.
    assert_close(covariance(PCA(3, whiten=True).fit(X).transform(X)), np.eye(3))
    PCA(whiten=True, epsilon=1e-3).fit(X)
    PCA().fit(X)


def test_pca_without_centering_uses_the_uncentred_second_moment():
    X = correlated()
    pca = PCA(center=False).fit(X)
    assert np.array_equal(pca.mean_, np.zeros(6))
    assert_close(pca.eigenvalues_, np.linalg.eigvalsh(X.T @ X / len(X))[::-1])
    assert_close(pca.transform(X), X @ pca.components_.T)


# ---------------------------------------------------------------------------------------------------- ZCA


def test_zca_without_epsilon_gives_identity_covariance():
    X = correlated()
    zca = ZCAWhitening(epsilon=0.0).fit(X)
    assert_close(covariance(zca.transform(X)), np.eye(6))
    assert np.array_equal(zca.whitening_, zca.whitening_.T)
    assert np.array_equal(zca.coloring_, zca.coloring_.T)
    assert_close(zca.whitening_ @ zca.coloring_, np.eye(6))
    assert_close(zca.whitening_ @ zca.whitening_, np.linalg.inv(covariance(X)))  # W = Sigma^(-1/2)


@pytest.mark.parametrize("epsilon", [0.0, 0.1])
def test_zca_is_pca_whitening_rotated_back(epsilon):
    X = correlated()
    pca = PCA(whiten=True, epsilon=epsilon).fit(X)
    zca = ZCAWhitening(epsilon=epsilon).fit(X)
    assert_close(zca.transform(X), pca.transform(X) @ pca.components_)  # x_ZCA = U x_PCAwhite


def test_zca_is_the_whitening_closest_to_the_input():
    X = correlated()
    rng = np.random.default_rng(2)
    Z_zca = ZCAWhitening(epsilon=0.0).fit(X).transform(X)
    Z_pca = PCA(whiten=True).fit(X).transform(X)
    distance = lambda Z: np.mean(np.sum((Z - X) ** 2, axis=1))  # noqa: E731
    # Every whitening of X is an orthogonal rotation of the PCA-whitened data.
    others = [distance(Z_pca)] + [distance(Z_pca @ random_rotation(rng, 6)) for _ in range(50)]
    assert distance(Z_zca) <= min(others)


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 10.0])
def test_zca_inverse_transform_undoes_transform(epsilon):
    X = correlated()
    zca = ZCAWhitening(epsilon=epsilon).fit(X)
    assert_close(zca.inverse_transform(zca.transform(X)), X)


def test_zca_with_epsilon_gives_eigenvalues_lambda_over_lambda_plus_epsilon():
    X = correlated()
    zca = ZCAWhitening(epsilon=0.5).fit(X)
    lam = zca.eigenvalues_
    assert_close(np.linalg.eigvalsh(covariance(zca.transform(X)))[::-1], lam / (lam + 0.5))


def test_zca_refuses_a_zero_eigenvalue_without_epsilon():
    X = rank_deficient(rank=3)
    with pytest.raises(ValueError, match="epsilon must make every eigenvalue.*got epsilon = 0 and eigenvalue 3"):
        ZCAWhitening(epsilon=0.0).fit(X)
    ZCAWhitening(epsilon=1e-3).fit(X)


# ------------------------------------------------------------------------------------------ PatchNormalizer


def tutorial_normalization(X, std=None):
    """The sparse autoencoder exercise's steps, in plain NumPy (std: MATLAB's, ddof=1, over all values)."""
    X = X - X.mean(axis=1, keepdims=True)
    s = 3 * (X.std(ddof=1) if std is None else std)
    return np.clip(X, -s, s) / s * 0.4 + 0.5


def test_patch_normalizer_follows_the_tutorial():
    X = heavy_tailed_patches()
    normalizer = PatchNormalizer().fit(X)
    Xc = X - X.mean(axis=1, keepdims=True)
    assert normalizer.scale_ == pytest.approx(3 * Xc.std(ddof=1), rel=1e-14)
    assert np.mean(np.abs(Xc) > normalizer.scale_) > 0.001  # the data exercises the clipping
    assert_close(normalizer.transform(X), tutorial_normalization(X), rtol=1e-14)


@pytest.mark.parametrize("low, high", [(0.1, 0.9), (0.0, 1.0), (-1.0, 1.0)])
def test_patch_normalizer_output_spans_low_to_high(low, high):
    X = heavy_tailed_patches()
    Y = PatchNormalizer(low=low, high=high).fit_transform(X)
    assert Y.min() == pytest.approx(low) and Y.max() == pytest.approx(high)  # reached: values are clipped
    assert np.all((Y >= low) & (Y <= high))


def test_patch_normalizer_inverse_transform_gives_the_mean_removed_clipped_data():
    X = heavy_tailed_patches()
    normalizer = PatchNormalizer().fit(X)
    Xc = remove_patch_mean(X)
    back = normalizer.inverse_transform(normalizer.transform(X))
    assert_close(back, np.clip(Xc, -normalizer.scale_, normalizer.scale_))
    unclipped = np.all(np.abs(Xc) <= normalizer.scale_, axis=1)
    assert unclipped.sum() > 10
    assert_close(back[unclipped], Xc[unclipped])


def test_patch_normalizer_reuses_the_scale_learned_in_fit():
    X_train, X_other = heavy_tailed_patches(seed=0), 2 * heavy_tailed_patches(seed=1)
    normalizer = PatchNormalizer().fit(X_train)
    train_std = remove_patch_mean(X_train).std(ddof=1)
    assert_close(normalizer.transform(X_other), tutorial_normalization(X_other, std=train_std), rtol=1e-14)
    assert not np.allclose(normalizer.transform(X_other), PatchNormalizer().fit_transform(X_other))


def test_patch_normalizer_refuses_data_without_variation():
    with pytest.raises(ValueError, match="X must vary within its examples"):
        PatchNormalizer().fit(np.arange(4.0).reshape(4, 1) * np.ones((1, 5)))  # constant rows
    with pytest.raises(ValueError, match="X must have at least 2 features per example; got n_features = 1"):
        PatchNormalizer().fit(np.arange(4.0).reshape(4, 1))


def test_remove_patch_mean():
    X = heavy_tailed_patches()
    Xc = remove_patch_mean(X)
    assert np.abs(Xc.mean(axis=1)).max() <= 1e-14 * np.abs(X).max()
    assert_close(Xc, X - X.mean(axis=1)[:, None])
    assert remove_patch_mean(X.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------------------------------------- all of them

ESTIMATORS = [PCA(), PCA(3, whiten=True, epsilon=0.1), ZCAWhitening(), ZCAWhitening(epsilon=0.0), PatchNormalizer()]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_float32_in_float32_out(estimator):
    estimator = clone(estimator)
    X = heavy_tailed_patches(n=8)
    expected = estimator.fit(X).transform(X)
    estimator.fit(X.astype(np.float32))
    Z = estimator.transform(X.astype(np.float32))
    assert Z.dtype == np.float32
    assert_close(Z, expected, rtol=1e-5)  # float32 rounding of the input and the output
    assert estimator.inverse_transform(Z).dtype == np.float32
    assert estimator.fit_transform(X.astype(np.int64)).dtype == np.float64


@pytest.mark.parametrize("estimator, error, match", [
    (PCA(n_components=0), ValueError, r"^n_components must be an int in \[1, 6\] or a float in \(0, 1\]; got 0$"),
    (PCA(n_components=7), ValueError, r"n_components must be an int in \[1, 6\] .*; got 7$"),
    (PCA(n_components=1.5), ValueError, r"n_components must be .* a float in \(0, 1\]; got 1.5$"),
    (PCA(n_components=0.0), ValueError, r"n_components must be .*; got 0.0$"),
    (PCA(n_components="all"), TypeError, r"n_components must be .*; got 'all'$"),
    (PCA(n_components=True), TypeError, r"n_components must be .*; got True$"),
    (PCA(epsilon=-1), ValueError, r"^epsilon must be >= 0.0; got -1.0$"),
    (PCA(whiten="yes"), TypeError, r"^whiten must be True or False; got str 'yes'$"),
    (PCA(center=1), TypeError, r"^center must be True or False; got int 1$"),
    (ZCAWhitening(epsilon=-0.1), ValueError, r"^epsilon must be >= 0.0; got -0.1$"),
    (ZCAWhitening(epsilon=np.nan), ValueError, r"^epsilon must be finite; got nan$"),
    (ZCAWhitening(epsilon="0.1"), TypeError, r"^epsilon must be a real number; got str '0.1'$"),
    (ZCAWhitening(center=None), TypeError, r"^center must be True or False; got NoneType None$"),
    (PatchNormalizer(clip_std=0), ValueError, r"^clip_std must be > 0.0; got 0.0$"),
    (PatchNormalizer(low=0.9, high=0.1), ValueError, r"^low must be < high; got low = 0.9, high = 0.1$"),
    (PatchNormalizer(high=np.inf), ValueError, r"^high must be finite; got inf$"),
], ids=repr)
def test_bad_parameters_are_reported_at_fit(estimator, error, match):
    with pytest.raises(error, match=match):
        estimator.fit(correlated())


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_nan_is_refused(estimator):
    estimator = clone(estimator)
    X = heavy_tailed_patches(n=8)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(bad)
    estimator.fit(X)
    with pytest.raises(ValueError, match="NaN"):
        estimator.transform(bad)
    with pytest.raises(ValueError, match="NaN"):
        estimator.inverse_transform(np.full((2, estimator.transform(X).shape[1]), np.nan))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_unfitted_estimators_refuse_to_transform(estimator):
    estimator = clone(estimator)
    X = correlated()
    with pytest.raises(NotFittedError):
        estimator.transform(X)
    with pytest.raises(NotFittedError):
        estimator.inverse_transform(X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_inverse_transform_checks_the_number_of_columns(estimator):
    estimator = clone(estimator)
    X = heavy_tailed_patches(n=8)
    estimator.fit(X)
    with pytest.raises(ValueError, match=r"X must have (n_components_|n_features_in_) = \d columns; got shape"):
        estimator.inverse_transform(np.ones((2, 9)))


def test_feature_names():
    X = correlated()
    assert list(PCA(2).fit(X).get_feature_names_out()) == ["pca0", "pca1"]
    names = [f"x{i}" for i in range(6)]
    assert list(ZCAWhitening().fit(X).get_feature_names_out()) == names  # whitened pixels remain pixels
    assert list(PatchNormalizer().fit(X).get_feature_names_out()) == names


# No check is expected to fail. (Checks of the array API report themselves skipped: they need the
# SCIPY_ARRAY_API environment variable, which ufldl does not support.)
@parametrize_with_checks([
    PCA(n_components=2),
    PCA(n_components=0.9, whiten=True, epsilon=1e-5),
    ZCAWhitening(epsilon=1e-3),
    PatchNormalizer(),
])
def test_scikit_learn_checks(estimator, check):
    check(estimator)  # under pytest's filterwarnings = error: any warning fails the check
