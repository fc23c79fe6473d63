"""pytest-coworld: certify Coworld games with parametrized pytest checks on real containers.

The package face imports nothing: the pytest plugin is `pytest_coworld.plugin`, the runtime
`pytest_coworld.runtime`, the CLI `pytest_coworld.cli`.
"""

__version__ = "0.1.0"
