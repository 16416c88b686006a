"""Progress display for long steps (rich), silent when disabled or not on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

T = TypeVar("T")
_probe = Console(stderr=True)
# Summaries stay readable when piped to a log: no 80-column folding off a terminal.
console = _probe if _probe.is_terminal else Console(stderr=True, width=160)


class Progress:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._rich: RichProgress | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._rich = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._rich.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)

    def iter(self, items: list[T], label: str, name: Callable[[T], str] = str) -> Iterator[T]:
        if self._rich is None:
            yield from items
            return
        bar = self._rich.add_task(label, total=len(items))
        for item in items:
            self._rich.update(bar, description=f"{label}: {name(item)}")
            yield item
            self._rich.advance(bar)
