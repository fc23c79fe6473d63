"""`--policy-secrets` and $POLICY_SECRETS_URI: each slot's secret env, read as the platform's runner does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer

from pytest_coworld.cli.episode_inputs import POLICY_SECRETS_ENV, policy_secrets


def write(folder: Path, document: object) -> Path:
    path = folder / "policy_secrets.json"
    path.write_text(json.dumps(document))
    return path


def test_without_a_file_no_slot_has_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_SECRETS_ENV, raising=False)

    assert policy_secrets(None) == {}


def test_the_variable_names_the_file_and_is_removed_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {"policies": {"1": {"API_KEY": "key-1"}, "0": {}}})
    monkeypatch.setenv(POLICY_SECRETS_ENV, path.as_uri())

    assert policy_secrets(None) == {0: {}, 1: {"API_KEY": "key-1"}}
    assert POLICY_SECRETS_ENV not in os.environ


def test_the_option_wins_and_the_variable_is_removed_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POLICY_SECRETS_ENV, str(tmp_path / "elsewhere.json"))

    assert policy_secrets(write(tmp_path, {"policies": {"0": {"A": "b"}}})) == {0: {"A": "b"}}
    assert POLICY_SECRETS_ENV not in os.environ


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"policy": {}}, 'has no "policies" object'),
        ({"policies": {"first": {"A": "b"}}}, "keys are slot numbers, not 'first'"),
        ({"policies": {"0": {"A": 1234567}}}, "slot 0's secrets must map names to strings"),
    ],
)
def test_a_wrong_file_is_one_line_that_shows_no_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: object, message: str
) -> None:
    with pytest.raises(typer.Exit):
        policy_secrets(write(tmp_path, document))

    error = capsys.readouterr().err
    assert message in error and "1234567" not in error
