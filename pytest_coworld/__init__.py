"""pytest-coworld: certify Coworld games with parametrized pytest checks on real containers.

The package face imports nothing: the pytest plugin is `pytest_coworld.plugin`, the runtime
`pytest_coworld.runtime`, the CLI `pytest_coworld.cli`.

PYTEST_DONT_REWRITE: `coworld certify`'s pytest process imports the runtime before pytest starts
(`pytest_coworld.pytest_process`), and pytest would warn that this package was imported before it could
rewrite its asserts. No module imported then has asserts to rewrite; the checks are imported later.
"""

__version__ = "0.1.0"
