"""`python -m pafas_cli` runs the same CLI as the `pafas` console command."""

from pafas_cli.cli import main

main()
