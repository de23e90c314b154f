"""Size checks made before a subcommand allocates anything: a network or a data set that the compiled core
cannot hold, or that cannot fit in this machine's memory, is a usage error (exit code 2) saying which option
asks for it and why, instead of a traceback or a MemoryError later on."""

import argparse
import os
from collections.abc import Sequence

#: The compiled core refuses an array with a dimension above this (BLAS's 32-bit sizes): the parameter
#: vector's length, the number of examples and every layer size.
CORE_LIMIT = 2**31 - 1

# float64 copies of the parameter vector a full-batch solver keeps, besides L-BFGS's correction pairs: the
# starting point, SciPy's iterate and gradient (CG: also its direction and previous gradient), the two buffers
# of the last accepted iterate (gradient descent: its two iterates and the gradient).
_FULL_BATCH_COPIES = {"lbfgs": 5, "cg": 7, "gd": 4}


def n_params(sizes: Sequence[int]) -> int:
    """Weights n_l * n_(l-1) plus biases n_l over the layers; Python ints, which do not overflow."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def memory_limit() -> int | None:
    """Bytes of memory this process can have: the machine's physical memory, or its cgroup's limit when that
    is lower; None when neither is known (the memory check is then skipped)."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as file:
                text = file.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit():
            limits.append(int(text))
    limits = [limit for limit in limits if limit > 0]
    return min(limits) if limits else None


def byte_size(n: int) -> str:
    """``n`` bytes in words: 1.5 GiB, 2.1 TiB."""
    for unit, shift in (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} bytes"


def check_network(parser: argparse.ArgumentParser, option: str, sizes: Sequence[int], what: str = "network") -> int:
    """Refuse a network whose parameter vector the compiled core cannot hold; returns its parameter count."""
    count = n_params(sizes)
    if count > CORE_LIMIT:
        parser.error(f"{option}: a {'-'.join(map(str, sizes))} {what} would have {count} parameters, more than the "
                     f"{CORE_LIMIT} (2^31 - 1) the compiled core accepts in its parameter vector (BLAS's 32-bit "
                     "sizes)")
    return count


def check_examples(parser: argparse.ArgumentParser, option: str, m: int) -> None:
    """Refuse more examples (rows) than the compiled core accepts."""
    if m > CORE_LIMIT:
        parser.error(f"{option}: {m} examples are more than the {CORE_LIMIT} (2^31 - 1) rows the compiled core "
                     "accepts (BLAS's 32-bit sizes)")


def training_bytes(sizes: Sequence[int], m: int, solver: str, *, itemsize: int = 8, batch_size: int | None = None,
                   max_corrections: int = 100) -> int:
    """A lower bound on the memory training a network of layer ``sizes`` on ``m`` examples takes, beyond the
    data: the parameters and a gradient in the network's precision, the solver's own copies (SciPy's L-BFGS-B
    keeps ``2 * max_corrections + 5`` float64 vectors of the parameters' length in its work array; SGD and
    Adam keep their state and a snapshot of the epoch's start), and the core's activations of the rows
    evaluated at once (all m for the full-batch solvers, a batch for the mini-batch ones)."""
    count = n_params(sizes)
    hidden = sizes[1:-1]
    if solver in _FULL_BATCH_COPIES:
        rows = m
        solver_bytes = 8 * count * _FULL_BATCH_COPIES[solver]
        if solver == "lbfgs":
            solver_bytes += 8 * ((2 * max_corrections + 5) * count + 11 * max_corrections**2)
    else:
        rows = min(m, batch_size or 200)
        solver_bytes = itemsize * count * 6  # 2 states, the batch gradient, the epoch's snapshot of all three
    activations = rows * (sum(hidden) + max(hidden, default=0)) * itemsize  # and the product buffer
    return itemsize * count * 2 + solver_bytes + activations


def check_memory(parser: argparse.ArgumentParser, option: str, needed: int, what: str) -> None:
    """Refuse work that needs more than this machine's memory (``needed`` bytes, a lower bound)."""
    limit = memory_limit()
    if limit is not None and needed > limit:
        parser.error(f"{option}: {what} would need at least {byte_size(needed)} of memory, more than this "
                     f"machine's {byte_size(limit)}")
