"""The shared rich console, progress bars and small table helpers.

Everything the toolkit prints goes through `console` so that tests can capture it and so that
non-main ranks of a distributed run stay quiet.

Rich reads `[...]` in a printed string as markup: a file named `a[x].png` would print as `a.png` and
one named `b[/x].png` would crash the print. Text that comes from the user (file names, paths, error
messages, face names) therefore goes out as `rich.text.Text` (never parsed): `print_error`,
`print_warning` and `tagged` build such lines, tables' titles and `kv_table` cells are plain text, and
`rows_table` keeps `Text` cells as they are (its `str` cells stay markup, for callers' own styling).
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
from rich.text import Text

T = TypeVar("T")


def is_main_process() -> bool:
    """True on rank 0 (or outside a distributed launch): only it prints and writes shared files."""
    return int(os.environ.get("RANK", "0")) == 0


console = Console(stderr=False, quiet=not is_main_process(), soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def make_progress(**columns: str) -> Progress:
    """A progress bar with count, ETA and optional extra text fields (e.g. loss=...)."""
    extra = [TextColumn(f"{{task.fields[{name}]}}", markup=False) for name in columns]
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),
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


def tagged(tag: str, style: str, message: object) -> Text:
    """`tag message` with only the tag styled; `message` is printed verbatim (no markup is read in it)."""
    return Text.assemble((tag, style), " ", str(message))


def print_error(message: object, to: Console | None = None) -> None:
    """The one red `error: ...` line the CLI prints for a PafasError (stderr by default)."""
    (to or err_console).print(tagged("error:", "bold red", message), highlight=False)


def print_warning(message: object, to: Console | None = None) -> None:
    """A one-line `warning: ...` (stderr by default), e.g. an image over PIL's decompression-bomb limit."""
    (to or err_console).print(tagged("warning:", "yellow", message), highlight=False)


def fmt(value: object) -> str:
    """Compact formatting for table cells (floats to 4 significant digits)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def kv_table(title: str, rows: Mapping[str, object]) -> Table:
    """A two-column key/value table."""
    table = Table(title=Text(title, style="table.title"), show_header=False, title_justify="left")
    table.add_column(style="cyan")
    table.add_column()
    for key, value in rows.items():
        table.add_row(Text(str(key)), Text(fmt(value)))
    return table


def rows_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table with a header row. `str` cells are Rich markup; pass user text as `Text` (kept verbatim)."""
    table = Table(title=Text(title, style="table.title"), title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(v if isinstance(v, Text) else fmt(v) for v in row))
    return table


def recipe_panel(recipe: object, sections: Sequence[str], source: object) -> Panel:
    """The resolved recipe sections a command uses, as YAML in a panel (echoed at start)."""
    import yaml

    full = recipe.to_dict()  # type: ignore[attr-defined]
    shown = {name: full[name] for name in sections if name in full}
    text = yaml.safe_dump(shown, sort_keys=False, default_flow_style=None).rstrip()
    return Panel(Syntax(text, "yaml", theme="ansi_dark", background_color="default"),
                 title=Text(f"recipe: {source or 'defaults'}"), title_align="left", expand=False)
