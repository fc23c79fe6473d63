"""`python -m pytest_coworld.cli`: the `coworld` command, as its entry point runs it."""

from pytest_coworld.cli.entry_point import main

main()
