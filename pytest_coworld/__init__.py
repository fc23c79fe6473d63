"""pytest-coworld: certify Coworld games with parametrized pytest checks on real containers."""

import pytest

__version__ = "0.1.0"

pytest.register_assert_rewrite("pytest_coworld.checks")
