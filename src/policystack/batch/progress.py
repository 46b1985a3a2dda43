"""Progress: a rich bar on a terminal (clinics done, rate, ETA); plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished clinics and shows them; ``quiet`` shows nothing."""

    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False,
                 every: float = 5.0) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.quiet = quiet or total == 0
        self.every = every
        self.started = time.monotonic()
        self.last = self.started
        self._bar = None
        self._task = None
        if not self.quiet and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = Bar(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TextColumn("clinics"),
                            TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                            console=Console(file=self.stream), transient=True)

    def __enter__(self) -> "Progress":
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("batch", total=self.total, rate="", failed="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, count: int, failed: int = 0) -> None:
        self.done += count
        self.failed += failed
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=f"{self.rate():.1f}/s",
                             failed=f"{self.failed} failed" if self.failed else "")
            return
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            rate = self.rate()
            eta = (self.total - self.done) / rate if rate else 0.0
            print(f"batch: {self.done}/{self.total} clinics, {rate:.1f} clinics/s, ETA {eta:.0f}s"
                  + (f", {self.failed} failed" if self.failed else ""), file=self.stream, flush=True)
