"""Pictures: learned features as a grid of tiles, PNG files, and a loss curve.

``tile_features`` needs NumPy only, and ``save_png`` writes its pictures with Pillow (a dependency of ufldl):
a features picture is an image, each weight one block of pixels, exact, with no axes. ``plot_loss_curve`` is
a plot, drawn with matplotlib, the optional extra ``ufldl[plot]`` (``pip install 'ufldl[plot]'``); without it
that function raises an ImportError saying so.
"""

import math
import os
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from ufldl._lib.optional import import_installed, installed, raise_if_interrupted
from ufldl._lib.types import ArrayLike, Float64Array, PathLike
from ufldl._lib.validation import integer

__all__ = ["tile_features", "save_png", "plot_loss_curve", "MATPLOTLIB_MISSING"]

#: What ``plot_loss_curve`` says (and the command line prints) when matplotlib is not installed.
MATPLOTLIB_MISSING = ("the loss curve is drawn with matplotlib, which is not installed: pip install 'ufldl[plot]' "
                      "(or pip install matplotlib)")

# The path as the caller gave it (str or os.PathLike), returned unchanged.
_Path = TypeVar("_Path", bound=PathLike)


def _pillow(function: str) -> Any:
    if not installed("PIL"):
        raise ImportError(f"ufldl.viz.{function} needs Pillow, which is not installed: pip install pillow")
    return import_installed("PIL.Image")



def tile_features(W: ArrayLike, patch_shape: Sequence[int] = (8, 8), border: int = 1) -> Float64Array:
    """Each hidden unit's incoming weights as a small picture, all arranged in a near-square grid.

    Row i of ``W`` is reshaped (row-major) to ``patch_shape`` and divided by its own ``max |w|``, then mapped
    so that -max is black (0), 0 is mid-grey (0.5) and +max is white (1), as the tutorial's
    ``display_network``. Tiles fill the grid row by row; the grid has ``ceil(sqrt(k))`` columns for k tiles.
    Borders and unused cells are black (0).

    Parameters
    ----------
    W : array_like, shape (k, prod(patch_shape))
        One feature per row, e.g. ``net.weights[0]`` (W1) of an autoencoder on patches.
    patch_shape : tuple of int, default (8, 8)
        ``(height, width)`` of one grayscale tile, or ``(height, width, 3)`` for colour patches: each row
        then reshapes (row-major) to ``(height, width, 3)``, RGB last, as ``image.reshape(-1)`` of an RGB
        patch gives; the tutorial's colour patches store three planes instead (R, then G, then B), which is
        ``W.reshape(k, 3, h, w).transpose(0, 2, 3, 1).reshape(k, -1)`` in this layout. A colour tile is scaled
        by its own ``max |w|`` over all three channels, so its colours keep their balance.
    border : int, default 1
        Width in pixels of the black lines around and between tiles, >= 0.

    Returns
    -------
    image : ndarray, float64, values in [0, 1]
        Shape ``(rows * (h + border) + border, cols * (w + border) + border)``, with a trailing axis of 3
        for colour. A row of zeros gives a uniformly mid-grey tile.
    """
    arr = np.asarray(W)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"W must be a real numeric array; got dtype {arr.dtype}")
    try:
        shape = tuple(patch_shape)
        if len(shape) not in (2, 3):
            raise ValueError
    except (TypeError, ValueError):
        raise TypeError(f"patch_shape must be (height, width) or (height, width, 3); got {patch_shape!r}") from None
    h, w = integer(shape[0], "patch_shape[0]", 1), integer(shape[1], "patch_shape[1]", 1)
    channels = () if len(shape) == 2 else (integer(shape[2], "patch_shape[2]", 1),)
    if channels and channels[0] != 3:
        raise ValueError(f"patch_shape[2] must be 3 (RGB) for colour tiles; got {channels[0]}")
    size = h * w * (channels[0] if channels else 1)
    border = integer(border, "border", 0)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != size:
        raise ValueError(
            f"W must be 2-D with shape (k, {size}) for patch_shape {tuple(shape)}, k >= 1; got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("W must hold finite values; got NaN or inf")

    k = arr.shape[0]
    cols = math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    scale = np.abs(arr).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    tiles = np.clip(0.5 + 0.5 * arr / scale, 0.0, 1.0).reshape(k, h, w, *channels)

    image = np.zeros((rows * (h + border) + border, cols * (w + border) + border, *channels))
    for i in range(k):
        r, c = divmod(i, cols)
        top, left = border + r * (h + border), border + c * (w + border)
        image[top:top + h, left:left + w] = tiles[i]
    return image


def save_png(path: _Path, image: ArrayLike, scale: int = 8) -> _Path:
    """Write a grayscale or RGB picture as a PNG, enlarged so that single pixels are visible.

    Parameters
    ----------
    path : str or os.PathLike
        File to write (overwritten if it exists).
    image : array_like, shape (height, width) or (height, width, 3)
        Values in [0, 1] (0 black, 1 white); values outside are clipped. A trailing axis of 3 is RGB.
    scale : int, default 8
        Each pixel becomes a ``scale`` x ``scale`` block (nearest neighbour), >= 1.

    Returns
    -------
    path : str or os.PathLike
        ``path``, as given.
    """
    Image = _pillow("save_png")
    arr = np.asarray(image)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"image must be a real numeric array; got dtype {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or 0 in arr.shape:
        raise ValueError(f"image must be (height, width) or (height, width, 3) and not empty; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("image must hold finite values; got NaN or inf")
    scale = integer(scale, "scale", 1)
    pixels = np.rint(np.clip(arr.astype(np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    Image.fromarray(pixels).save(_fspath(path), format="PNG")  # uint8: mode "L", or "RGB" with 3 channels
    return path


def _matplotlib() -> tuple[Any, Any, Any, Any, Any, Any]:
    if not installed("matplotlib"):
        raise ImportError(f"ufldl.viz.plot_loss_curve: {MATPLOTLIB_MISSING}")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter
    except ImportError as exc:
        raise_if_interrupted(exc)
        raise
    return Figure, FigureCanvasAgg, FuncFormatter, LogLocator, MaxNLocator, NullFormatter


def _detail_start(y: Float64Array, log_scale: bool) -> int | None:
    """The first iteration of the detail panel, or None when the whole-run panel already shows the end of the
    run well: when the last 90% of the run spans less than a third of the whole run's height."""
    n = y.size
    if n < 20:
        return None
    start = max(1, n // 10)
    v = np.log10(y) if log_scale else y
    whole, tail = np.ptp(v), np.ptp(v[start:])
    if whole == 0 or tail >= whole / 3:
        return None
    return start


def plot_loss_curve(losses: ArrayLike, path: _Path, *, log_scale: bool | None = None,
                    size: tuple[int, int] = (900, 400), title: str = "cost per iteration",
                    xlabel: str = "iteration", ylabel: str = "cost", first: int = 0) -> _Path:
    """Draw a loss curve as a PNG with matplotlib: the whole run, and beside it the rest of the run after its
    first tenth when the start's fall would otherwise squeeze it.

    Parameters
    ----------
    losses : array_like, shape (n,)
        The cost at each iteration (entry 0 is usually the starting point); n >= 1, finite.
    path : str or os.PathLike
        PNG file to write (overwritten if it exists).
    log_scale : bool or None, default None
        Logarithmic y axis for the whole run; None means "if every loss is > 0 and they span more than a factor
        of 10". The detail panel is linear.
    size : tuple of int, default (900, 400)
        (width, height) of the picture in pixels, each >= 200.
    title : str, default "cost per iteration"
        The figure's title (the first and last values are added to it).
    xlabel, ylabel : str, default "iteration", "cost"
        The axes' labels.
    first : int, default 0
        The iteration (or epoch) of ``losses[0]``: 0 when the curve starts at the starting point, 1 when it
        holds the cost after each iteration (an estimator's ``loss_curve_``).

    Returns
    -------
    path : str or os.PathLike
        ``path``, as given.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'ufldl[plot]'``).
    """
    y = np.asarray(losses)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"losses must be a real numeric array; got dtype {y.dtype}")
    if y.ndim != 1 or y.size < 1:
        raise ValueError(f"losses must be 1-D with at least one value; got shape {y.shape}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError("losses must hold finite values; got NaN or inf")
    try:
        width, height = size
    except (TypeError, ValueError):
        raise TypeError(f"size must be a pair of integers (width, height); got {size!r}") from None
    width, height = integer(width, "size[0]", 200), integer(height, "size[1]", 200)
    if log_scale is None:
        log_scale = bool(y.min() > 0 and y.max() > 10 * y.min())
    if log_scale and y.min() <= 0:
        raise ValueError(f"log_scale needs losses > 0; got a minimum of {y.min()}")
    Figure, FigureCanvasAgg, FuncFormatter, LogLocator, MaxNLocator, NullFormatter = _matplotlib()

    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    detail = _detail_start(y, log_scale)
    axes = figure.subplots(1, 2 if detail is not None else 1, squeeze=False)[0]
    first = integer(first, "first", 0)
    x = first + np.arange(y.size)
    whole = axes[0]
    whole.plot(x, y, color="C0", linewidth=1.5, marker="o" if y.size == 1 else None)
    whole.set_title("the whole run" + (" (log scale)" if log_scale else ""), fontsize="medium")
    if log_scale:
        whole.set_yscale("log")
        # Ticks at 1, 2 and 5 times each power of ten, labelled: a run spanning one decade or less still gets
        # several labelled ticks.
        whole.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=30))
        whole.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        whole.yaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10) / 1.0, numticks=30))
        whole.yaxis.set_minor_formatter(NullFormatter())
    if detail is not None:
        zoom = axes[1]
        zoom.plot(x[detail:], y[detail:], color="C0", linewidth=1.5)
        zoom.set_title(f"{xlabel}s {x[detail]} to {x[-1]} (linear scale)", fontsize="medium")
        whole.axvspan(x[detail], x[-1], color="0.9", zorder=0)
    for ax in axes:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", color="0.85")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(x[0] if ax is whole else x[detail], max(x[-1], x[0] + 1))
    figure.suptitle(f"{title}: {_format(y[0])} at {xlabel} {x[0]}, {_format(y[-1])} at {xlabel} {x[-1]}")
    figure.savefig(_fspath(path), format="png", dpi=dpi)
    return path


def _fspath(path: PathLike) -> str:
    # Through the union: mypy does not resolve os.fspath's overloads on a TypeVar bound to it.
    return os.fspath(path)


def _format(value: float) -> str:
    return f"{value:.4g}"
