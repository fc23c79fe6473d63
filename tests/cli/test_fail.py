"""`fail`: the one-line error every command exits with."""

from __future__ import annotations

import pytest
import typer

from pytest_coworld.cli.common import fail


def test_an_error_is_printed_as_it_is_even_with_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited:
        fail("image [paint] is missing; closing tag [/x] too", code=1, hint="build it [now]")

    assert exited.value.exit_code == 1
    error = capsys.readouterr().err
    assert "error: image [paint] is missing; closing tag [/x] too" in error
    assert "hint: build it [now]" in error
