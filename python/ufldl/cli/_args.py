"""Argument types shared by the subcommands: each refuses a bad value with a message saying what was wanted."""

import argparse
import math
from collections.abc import Callable
from typing import TypeAlias

#: What a command's ``add_parser(commands)`` receives: ``ArgumentParser.add_subparsers()``'s result.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
#: ``ArgumentParser.add_argument_group()``'s result.
ArgumentGroup: TypeAlias = "argparse._ArgumentGroup"


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= low."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {value}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in some messages
    return parse


def float_in(low: float, high: float | None = None, *, low_open: bool = False,
             high_open: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite number >= low (> low with low_open), and < high (<= with high_open=False)."""
    if high is None:
        wanted = f"a number {'>' if low_open else '>='} {low}"
    else:
        wanted = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}; got {text!r}") from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low)
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {wanted}; got {text}")
        return value

    parse.__name__ = wanted
    return parse


def int_list(text: str) -> list[int]:
    """An argparse type: comma-separated integers >= 1, such as ``4,3,5,2``."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers such as 64,25,64; got {text!r}") from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"must hold at least two sizes, each >= 1; got {text!r}")
    return values


def image_shape(text: str) -> tuple[int, ...]:
    """An argparse type: ``HxW`` (grayscale, e.g. ``8x8``) or ``HxWx3`` (colour, e.g. ``8x8x3``)."""
    try:
        parts = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be HEIGHTxWIDTH or HEIGHTxWIDTHx3 such as 8x8; got {text!r}") from None
    if len(parts) not in (2, 3) or min(parts) < 1 or (len(parts) == 3 and parts[2] != 3):
        raise argparse.ArgumentTypeError(f"must be HEIGHTxWIDTH or HEIGHTxWIDTHx3 with sizes >= 1; got {text!r}")
    return parts
