"""Natural images and the patches the tutorial's sparse autoencoder learns from.

The tutorial sampled 10,000 patches of 8x8 pixels from ten whitened natural images (Olshausen & Field's
``IMAGES.mat``) and normalised them into [0.1, 0.9] for a sigmoid output layer (``docs/math.md``, "The
tutorial's sparse autoencoder exercise"). Those images are not redistributable here; the two photographs that
ship inside scikit-learn (``china.jpg`` and ``flower.jpg``) stand in for them, with no download at run time.

Used raw at full resolution, these photographs teach the autoencoder mostly broad, blurry gradients and a few
gratings (their 8x8 patches are dominated by low spatial frequencies, and the roof tiles of ``china.jpg`` repeat).
``ufldl demo`` therefore prepares them as IMAGES.mat was prepared: ``downsample_images(images, 3)`` (so an 8x8
patch spans 24x24 original pixels: real edges rather than lens blur and JPEG blocks), then
``whiten_images(images, f0=0.3)``; the features then look like localised, oriented edge and line detectors.

Orientation: a patch is flattened in row-major (C) order, so ``patch.reshape(patch_size, patch_size)`` gives
it back; ``ufldl.viz.tile_features`` assumes the same order.
"""

import numbers
from collections.abc import Iterable

import numpy as np

from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.optional import import_installed, installed
from ufldl._lib.types import ArrayLike, Float64Array, IntArray, RandomStateLike
from ufldl._lib.validation import integer, random_generator

__all__ = ["load_natural_images", "load_digits", "downsample_images", "whiten_images", "sample_patches",
           "normalize_patches"]

# ITU-R BT.601 luma, as Pillow's convert("L") uses.
_LUMA = np.array([0.299, 0.587, 0.114])


def _require(*modules: tuple[str, str], needed_by: str = "ufldl.datasets.load_natural_images") -> None:
    """Import each ``(module, pip_name)`` pair; raise one ImportError naming everything that is not installed (an
    installed module whose import fails raises its own error, ``ufldl._lib.optional``)."""
    missing = [pip_name for module, pip_name in modules if not installed(module)]
    if missing:
        raise ImportError(
            f"{needed_by} needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: pip install {' '.join(missing)}"
        )
    for module, _ in modules:
        import_installed(module)


def load_natural_images() -> list[Float64Array]:
    """The natural photographs shipped with scikit-learn, as grayscale images.

    These are ``china.jpg`` and ``flower.jpg`` from ``sklearn.datasets.load_sample_images`` (427 x 640 pixels
    each), read from inside the installed scikit-learn package: nothing is downloaded.

    Returns
    -------
    images : list of ndarray, each of shape (height, width), float64
        Luminance ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601) scaled into [0, 1].

    Raises
    ------
    ImportError
        If scikit-learn or Pillow (which scikit-learn uses to read the JPEG files) is not installed; the
        message says what to ``pip install``.
    """
    _require(("sklearn", "scikit-learn"), ("PIL", "pillow"))
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    images = []
    for rgb in bunch.images:
        gray = np.asarray(rgb, dtype=np.float64)[..., :3] @ _LUMA / 255.0
        images.append(np.clip(gray, 0.0, 1.0))
    return images


def load_digits(n_class: int = 10) -> tuple[Float64Array, IntArray]:
    """The 8x8 handwritten digits shipped with scikit-learn, scaled into [0, 1]: the supervised data.

    1,797 images of 8x8 pixels (``sklearn.datasets.load_digits``, the UCI optical digits test set), read from
    inside the installed scikit-learn package: nothing is downloaded. They stand in for the tutorial's MNIST
    (28x28, 70,000 images), which is not shipped by any package.

    Parameters
    ----------
    n_class : int, default 10
        Keep the digits 0 .. n_class - 1 (2 to 10).

    Returns
    -------
    X : ndarray, shape (n_samples, 64), float64
        One image per row in row-major order, pixel intensities 0..16 divided by 16.
    y : ndarray, shape (n_samples,), int64
        The digit of each row.
    """
    _require(("sklearn", "scikit-learn"), needed_by="ufldl.datasets.load_digits")
    from sklearn.datasets import load_digits as sklearn_digits

    n_class = integer(n_class, "n_class", low=2)
    if n_class > 10:
        raise ValueError(f"n_class must be an integer in [2, 10]; got {n_class}")
    X, y = sklearn_digits(n_class=n_class, return_X_y=True)
    return X.astype(np.float64) / 16.0, y.astype(np.int64)


def _check_images(images: Iterable[ArrayLike], name: str = "images") -> list[Float64Array]:
    if isinstance(images, np.ndarray) and images.ndim == 2:
        raise TypeError(f"{name} must be a sequence of 2-D arrays; got a single 2-D array (wrap it in a list)")
    try:
        items = list(images)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of 2-D arrays; got {type(images).__name__}") from None
    if not items:
        raise ValueError(f"{name} must hold at least one image; got an empty sequence")
    out = []
    for i, image in enumerate(items):
        arr = np.asarray(image)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{i}] must be a real numeric array; got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"{name}[{i}] must be 2-D (height, width), grayscale; got shape {arr.shape}")
        arr = arr.astype(np.float64, copy=False)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}[{i}] must hold finite values; it has NaN or inf")
        out.append(arr)
    return out




def downsample_images(images: Iterable[ArrayLike], factor: int) -> list[Float64Array]:
    """Shrink images by an integer factor, averaging each ``factor`` x ``factor`` block of pixels.

    Rows and columns that do not fill a whole block (at the bottom and right edges) are dropped.

    Parameters
    ----------
    images : sequence of array_like, each of shape (height, width)
        Grayscale images, each at least ``factor`` pixels high and wide.
    factor : int
        Side of the averaged blocks, >= 1 (1 returns float64 copies).

    Returns
    -------
    small : list of ndarray, each of shape (height // factor, width // factor), float64
        The block means, one image per input image.
    """
    arrays = _check_images(images)
    factor = integer(factor, "factor")
    out = []
    for i, image in enumerate(arrays):
        h, w = image.shape[0] // factor, image.shape[1] // factor
        if h == 0 or w == 0:
            raise ValueError(f"images[{i}] has shape {image.shape}, smaller than the factor {factor}")
        out.append(image[:h * factor, :w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3)))
    return out


@renamed_keyword("seed", "random_state")
def sample_patches(images: Iterable[ArrayLike], n_patches: int = 10000, patch_size: int = 8,
                   random_state: RandomStateLike = None) -> Float64Array:
    """Square patches cut at random from random images, as the tutorial's ``sampleIMAGES``.

    Each patch picks an image uniformly at random, then a top-left corner uniformly among the positions where
    the whole patch fits in that image.

    Parameters
    ----------
    images : sequence of array_like, each of shape (height, width)
        Grayscale images, each at least ``patch_size`` pixels high and wide.
    n_patches : int, default 10000
        Number of patches m, >= 1.
    patch_size : int, default 8
        Side p of the square patches, >= 1.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        Source of the positions; the same int gives the same patches on every machine. Formerly ``seed``
        (still accepted, with a FutureWarning, until ufldl 0.3).

    Returns
    -------
    patches : ndarray, shape (n_patches, patch_size ** 2), float64
        One patch per row, flattened in row-major order.
    """
    images = _check_images(images)
    n_patches = integer(n_patches, "n_patches")
    patch_size = integer(patch_size, "patch_size")
    for i, image in enumerate(images):
        if image.shape[0] < patch_size or image.shape[1] < patch_size:
            raise ValueError(
                f"images[{i}] has shape {image.shape}, smaller than patch_size {patch_size} in some direction"
            )
    rng = random_generator(random_state, "random_state")

    which = rng.integers(len(images), size=n_patches)
    row_ends = np.array([image.shape[0] - patch_size + 1 for image in images])
    col_ends = np.array([image.shape[1] - patch_size + 1 for image in images])
    rows = rng.integers(0, row_ends[which])
    cols = rng.integers(0, col_ends[which])

    patches = np.empty((n_patches, patch_size * patch_size), dtype=np.float64)
    for i, image in enumerate(images):
        chosen = np.flatnonzero(which == i)
        if chosen.size:
            windows = np.lib.stride_tricks.sliding_window_view(image, (patch_size, patch_size))
            patches[chosen] = windows[rows[chosen], cols[chosen]].reshape(chosen.size, -1)
    return patches


def normalize_patches(patches: ArrayLike) -> Float64Array:
    """The tutorial's normalisation of patches for a sigmoid output layer.

    In order: subtract each patch's own mean (over its pixels); compute one standard deviation ``s`` over
    all pixels of all patches (``ddof=1``, as MATLAB's ``std``); clip to ``[-3 s, 3 s]``; divide by ``3 s``
    (landing in [-1, 1]); map to [0.1, 0.9] by ``x * 0.4 + 0.5``. This is ``sampleIMAGES.m``'s
    ``normalizeData``.

    Parameters
    ----------
    patches : array_like, shape (m, n_pixels)
        One patch per row, m >= 1, n_pixels >= 1.

    Returns
    -------
    normalized : ndarray, shape (m, n_pixels), float64
        Values in [0.1, 0.9]; every row's mean is 0.5 unless clipping moved it. If every patch is constant
        (``s == 0``) every value is 0.5.
    """
    arr = np.asarray(patches)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"patches must be a real numeric array; got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"patches must be 2-D with shape (m, n_pixels), m >= 1, n_pixels >= 1; got {arr.shape}")
    arr = arr.astype(np.float64)  # always a copy: the caller's array is left alone
    if not np.isfinite(arr).all():
        raise ValueError("patches must hold finite values; got NaN or inf")
    arr -= arr.mean(axis=1, keepdims=True)
    pstd = 3.0 * arr.std(ddof=1) if arr.size > 1 else 0.0
    if pstd == 0.0:
        return np.full_like(arr, 0.5)
    np.clip(arr, -pstd, pstd, out=arr)
    arr /= pstd
    return arr * 0.4 + 0.5


def whiten_images(images: Iterable[ArrayLike], f0: float = 0.4) -> list[Float64Array]:
    """Flatten the 1/f amplitude spectrum of natural images, as for Olshausen & Field's ``IMAGES.mat``.

    Each image is multiplied in the Fourier domain by ``f * exp(-(f / f0) ** 4)``, with ``f`` the radial
    spatial frequency in cycles per pixel (0.5 at Nyquist). The ramp ``f`` cancels the ``1/f`` fall-off of
    natural images' amplitude spectra; the exponential rolls off the highest frequencies, where noise and
    aliasing live. In the original recipe, for N x N images, ``f_0 = 0.4 N`` cycles per image, which is
    ``f0 = 0.4`` cycles per pixel. The mean (f = 0) is removed. To avoid wrap-around artefacts at the borders
    each image is filtered as its mirror-symmetric extension (2h x 2w), then cropped back. Finally all images
    are scaled together so that their mean pixel variance is 0.1, as in ``IMAGES.mat``.

    Parameters
    ----------
    images : sequence of array_like, each of shape (height, width)
        Grayscale images.
    f0 : float, default 0.4
        Roll-off frequency in cycles per pixel, > 0.

    Returns
    -------
    whitened : list of ndarray, each of shape (height, width), float64
        Zero-mean images (values are no longer in [0, 1]).
    """
    images = _check_images(images)
    if isinstance(f0, (bool, np.bool_)) or not isinstance(f0, numbers.Real) or not np.isfinite(f0) or f0 <= 0:
        raise ValueError(f"f0 must be a finite real number > 0 (cycles per pixel); got {f0!r}")
    out = []
    for image in images:
        h, w = image.shape
        extended = np.block([[image, image[:, ::-1]], [image[::-1, :], image[::-1, ::-1]]])
        fy = np.fft.fftfreq(2 * h)[:, None]
        fx = np.fft.rfftfreq(2 * w)[None, :]
        f = np.hypot(fy, fx)
        filtered = np.fft.irfft2(np.fft.rfft2(extended) * (f * np.exp(-((f / f0) ** 4))), s=extended.shape)
        out.append(filtered[:h, :w])
    variance = np.mean([image.var() for image in out])
    if variance > 0:
        scale = np.sqrt(0.1 / variance)
        out = [image * scale for image in out]
    return out
