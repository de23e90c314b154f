"""Pictures: learned features as a grid of tiles, PNG files, and a loss curve.

Only NumPy is needed to build the pictures (``tile_features``); writing them (``save_png``,
``plot_loss_curve``) needs Pillow, and nothing here needs matplotlib.
"""

import math
import os

import numpy as np

from ufldl._lib.validation import integer

__all__ = ["tile_features", "save_png", "plot_loss_curve"]


def _pillow(function):
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(f"ufldl.viz.{function} needs Pillow, which is not installed: pip install pillow") from None
    return Image, ImageDraw, ImageFont



def tile_features(W, patch_shape=(8, 8), border=1):
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
        by its own max |w| over all three channels, so its colours keep their balance.
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


def save_png(path, image, scale=8):
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
    Image, _, _ = _pillow("save_png")
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
    Image.fromarray(pixels).save(os.fspath(path), format="PNG")  # uint8: mode "L", or "RGB" with 3 channels
    return path


def _format(value):
    return f"{value:.4g}"


def plot_loss_curve(losses, path, *, log_scale=None, size=(640, 400), title="cost per iteration"):
    """Draw a loss curve as a PNG line plot (Pillow's ImageDraw; no matplotlib).

    Parameters
    ----------
    losses : array_like, shape (n,)
        The cost at each iteration (entry 0 is usually the starting point); n >= 1, finite.
    path : str or os.PathLike
        PNG file to write (overwritten if it exists).
    log_scale : bool or None, default None
        Logarithmic y axis; None means "if every loss is > 0 and they span more than a factor of 10".
    size : tuple of int, default (640, 400)
        (width, height) in pixels, each >= 200.
    title : str, default "cost per iteration"
        Text at the top of the plot.

    Returns
    -------
    path : str or os.PathLike
        ``path``, as given.
    """
    Image, ImageDraw, ImageFont = _pillow("plot_loss_curve")
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

    values = np.log10(y) if log_scale else y
    low, high = float(values.min()), float(values.max())
    if high == low:
        low, high = low - 0.5, high + 0.5
    left, right, top, bottom = 70, 20, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def to_xy(i, v):
        x = left + (plot_w * i / (y.size - 1) if y.size > 1 else plot_w / 2)
        return x, top + plot_h * (high - v) / (high - low)

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    grey, black, blue = (200, 200, 200), (0, 0, 0), (31, 119, 180)

    # Horizontal grid lines with labels: the lowest and highest values, and on a log axis the decades in
    # between (those not crowding the ends), otherwise three even steps.
    ticks = [low, high]
    if log_scale:
        min_gap = 14 * (high - low) / plot_h  # about one line of text
        ticks += [float(t) for t in range(math.ceil(low), math.floor(high) + 1)
                  if t - low > min_gap and high - t > min_gap]
    else:
        ticks += list(np.linspace(low, high, 5)[1:-1])
    for t in ticks:
        _, ty = to_xy(0, t)
        draw.line([(left, ty), (left + plot_w, ty)], fill=grey)
        label = _format(10 ** t if log_scale else t)
        draw.text((5, ty - 6), label, fill=black, font=font)
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=black)

    points = [to_xy(i, v) for i, v in enumerate(values)]
    if len(points) > 1:
        draw.line(points, fill=blue, width=2)
    else:
        x0, y0 = points[0]
        draw.ellipse([x0 - 3, y0 - 3, x0 + 3, y0 + 3], fill=blue)

    n_last = y.size - 1
    draw.text((left, top + plot_h + 8), "0", fill=black, font=font)
    draw.text((left + plot_w - 6 * len(str(n_last)), top + plot_h + 8), str(n_last), fill=black, font=font)
    draw.text((left + plot_w / 2 - 25, top + plot_h + 8), "iteration", fill=black, font=font)
    scale_note = " (log scale)" if log_scale else ""
    draw.text((left, 8), f"{title}{scale_note}: {_format(y[0])} -> {_format(y[-1])}", fill=black, font=font)
    image.save(os.fspath(path), format="PNG")
    return path
