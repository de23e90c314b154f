"""The progress of long runs, in one format everywhere: a tqdm bar on a terminal, a line every N steps otherwise.

Every verbose fit (``ufldl.minimize``, ``ufldl.train_minibatch`` and what calls them: ``ufldl.train``, the
estimators' ``verbose``) and the command line's ``demo``, ``train`` and ``experiments`` report through
:class:`Progress`. Written to a terminal, a run shows one tqdm bar (steps done of the total, rate, time left,
and the latest numbers); written anywhere else (a file, a pipe, a notebook's captured output, a test), it prints
one line every ``every`` steps, and the last, in this format::

    iteration   10  cost 0.3387087198  elapsed 1.23 s
    epoch    3  loss 0.03594  validation 0.97  lr 0.001  elapsed 0.12 s

that is ``<unit> <step, 4 wide>  <name value>...  elapsed <seconds> s``. The environment variable
``UFLDL_PROGRESS`` chooses for every run: ``bar`` or ``lines`` (whatever the stream is).
"""

import os
import sys
import time
from typing import Any, TextIO

from ufldl._lib.optional import raise_if_interrupted

__all__ = ["Progress", "use_bar"]

_UNITS = {"iteration": "it", "epoch": "epoch", "experiment": "exp"}  # the bar's (short) unit names


def use_bar(stream: Any) -> bool:
    """Whether a run writing to ``stream`` shows a bar: ``UFLDL_PROGRESS`` (``bar``/``lines``) if set, else
    whether ``stream`` is a terminal."""
    choice = os.environ.get("UFLDL_PROGRESS", "").strip().lower()
    if choice in ("bar", "lines"):
        return choice == "bar"
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """The progress of one run.

    Parameters
    ----------
    desc : str
        What runs (``"lbfgs"``, ``"adam"``, ``"experiments"``): the bar's label.
    unit : str
        What a step is (``"iteration"``, ``"epoch"``, ``"experiment"``): the first word of each line.
    total : int or None
        Steps expected (the bar's length); may be set later, before the first ``update``.
    every : int
        Without a bar, a line every this many steps (and for step 0 and the last).
    stream : file or None
        Where to write; None is ``sys.stdout`` at the time of writing.
    enabled : bool
        False: nothing is written at all.
    """

    def __init__(self, desc: str | None, unit: str = "iteration", total: int | None = None, every: int = 1,
                 stream: TextIO | None = None, enabled: bool = True) -> None:
        self.desc, self.unit, self.total, self.every = desc, unit, total, max(1, int(every))
        self._stream, self.enabled = stream, enabled
        self.start = time.perf_counter()
        self._bar = None
        self._printed: int | None = None  # the last step a line was printed for
        self._closed = False

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def line(self, step: int, fields: str) -> str:
        """The line of step ``step`` with ``fields`` (``"cost 0.5"``): the one format."""
        return f"{self.unit} {step:4d}{'  ' + fields if fields else ''}  elapsed {self.elapsed():.2f} s"

    def update(self, step: int, fields: str = "", last: bool = False) -> None:
        """Step ``step`` (the count done, 0 before the first) has these numbers; ``last``: the run's final one."""
        if not self.enabled:
            return
        if self._bar is None and not self._closed and use_bar(self.stream):
            self._bar = self._open_bar()
        if self._bar is not None:
            self._bar.update(max(0, step - self._bar.n))
            self._bar.set_postfix_str(fields, refresh=True)
            return
        if step != self._printed and (last or step % self.every == 0):
            self._printed = step
            print(self.line(step, fields), file=self.stream, flush=True)

    def _open_bar(self) -> Any:
        try:
            from tqdm import tqdm
        except ImportError as exc:  # installed without its dependencies: lines instead (but Ctrl-C is Ctrl-C)
            raise_if_interrupted(exc)
            return None
        return tqdm(total=self.total, desc=self.desc, unit=_UNITS.get(self.unit, self.unit), file=self.stream,
                    dynamic_ncols=True, leave=True, mininterval=0.2)

    def write(self, text: str, file: TextIO | None = None) -> None:
        """A line of text (above the bar, when there is one), to ``file`` or the run's stream."""
        if not self.enabled:
            return
        stream = file if file is not None else self.stream
        if self._bar is not None:
            self._bar.write(text, file=stream)
        else:
            print(text, file=stream, flush=True)

    def close(self, text: str | None = None) -> None:
        """End the run (the bar stays on screen at its last state), then write ``text`` if given."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._closed = True
        if text is not None:
            self.write(text)
