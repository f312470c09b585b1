"""The shared rich console, progress bars and small table helpers.

Everything the toolkit prints goes through `console` so that tests can capture it and so that
non-main ranks of a distributed run stay quiet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

T = TypeVar("T")


def is_main_process() -> bool:
    """True on rank 0 (or outside a distributed launch): only it prints and writes shared files."""
    return int(os.environ.get("RANK", "0")) == 0


console = Console(stderr=False, quiet=not is_main_process(), soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def make_progress(**columns: str) -> Progress:
    """A progress bar with count, ETA and optional extra text fields (e.g. loss=...)."""
    extra = [TextColumn(f"{{task.fields[{name}]}}") for name in columns]
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not is_main_process(),
    )


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    if total is None and isinstance(items, Sequence):
        total = len(items)
    with make_progress() as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


def fmt(value: object) -> str:
    """Compact formatting for table cells (floats to 4 significant digits)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def kv_table(title: str, rows: Mapping[str, object]) -> Table:
    """A two-column key/value table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="cyan")
    table.add_column()
    for key, value in rows.items():
        table.add_row(str(key), fmt(value))
    return table


def rows_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table with a header row."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(fmt(v) for v in row))
    return table


def recipe_panel(recipe: object, sections: Sequence[str], source: object) -> Panel:
    """The resolved recipe sections a command uses, as YAML in a panel (echoed at start)."""
    import yaml

    full = recipe.to_dict()  # type: ignore[attr-defined]
    shown = {name: full[name] for name in sections if name in full}
    text = yaml.safe_dump(shown, sort_keys=False, default_flow_style=None).rstrip()
    return Panel(Syntax(text, "yaml", theme="ansi_dark", background_color="default"),
                 title=f"recipe: {source or 'defaults'}", title_align="left", expand=False)
