"""`pafas reproduce`: the small-scale reproduction of the PA-FAS paper's tables, built from data and parts.

    grid.py     the grid (rows, variants, reward mixes, defaults, --quick) from recipes/reproduce/grid.yaml;
                the run's settings, its cells, what each cell needs, the plan's time estimate
    runner.py   runs the cells on workspaces through the stage entry functions it is given; reuses every
                stage version through `Workspace.find`; records each finished cell in a cells file
    record.py   the cells file (JSON lines, append-only): read, append, which record counts, staleness
    stats.py    mean ± std, the paired comparison over seeds and the verdict rules
    report.py   docs/results.md from the recorded cells and recipes/reproduce/paper_numbers.yaml

The command itself is `pafas_cli/commands/reproduce.py`; it hands the runner the stage entry functions
(this package never imports `pafas_cli.commands`: tests/test_layers.py).
"""
