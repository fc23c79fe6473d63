"""`coworld k8s render`: YAML that parses and validates, with tokens only in the Secrets, only when asked."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import typer
import yaml
from kube_objects import assert_valid
from typer.testing import CliRunner, Result

from pytest_coworld.cli import k8s
from pytest_coworld.examples import example_manifest_path

root = typer.Typer()
root.add_typer(k8s.app, name="k8s")  # as cli/app.py registers it
PLACEMENT_OPTIONS = ["--node-selector", "coworld=games", "--toleration", "workload-type=coworld:NoSchedule"]


def render(*args: str) -> Result:
    return CliRunner().invoke(root, ["k8s", "render", *args])


def documents(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def tokens_of(items: list[dict[str, Any]]) -> list[str]:
    (config,) = [item for item in items if item["metadata"]["name"].endswith("-config")]
    return list(json.loads(config["stringData"]["config.json"])["tokens"])


@pytest.mark.parametrize("example", ["paint", "auction"])
def test_render_prints_valid_yaml_with_tokens_redacted(example: str) -> None:
    result = render(str(example_manifest_path(example)), "--namespace", "games", *PLACEMENT_OPTIONS)
    items = documents(result)
    assert_valid(items)
    assert {item["metadata"]["namespace"] for item in items} == {"games"}
    tokens = tokens_of(items)
    assert tokens == [f"<redacted:token:{slot}>" for slot in range(len(tokens))]
    assert all(pod["spec"]["nodeSelector"] == {"coworld": "games"} for pod in _pods(items))
    assert "Tokens are placeholders" in result.stdout and "-l coworld-job-id=" in result.stdout


def test_revealed_tokens_and_secret_env_are_only_in_the_marked_secrets() -> None:
    result = render(
        "--example", "auction", "--variant", "three-players", "--player-image", "registry.example/bidder:1",
        "--secret-env", "OPENAI_API_KEY=sk-shown-only-in-a-secret", "--reveal-secrets",
        "--owner-uid", "uid-1", "--image-pull-policy", "IfNotPresent", "--cpus", "0.5", "--memory", "512m",
    )  # fmt: skip
    items = documents(result)
    assert_valid(items)
    tokens = tokens_of(items)
    assert len(tokens) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)
    hidden = [*tokens, "sk-shown-only-in-a-secret"]
    for item in items:
        shown = [value for value in hidden if value in json.dumps(item)]
        assert not shown or item["kind"] == "Secret"
    players = _pods(items)[1:]
    assert [container["image"] for pod in players for container in pod["spec"]["containers"]] == [
        "registry.example/bidder:1"
    ] * 3
    for document in result.stdout.split("\n---\n")[1:]:
        assert document.startswith("# SECRET: ") == ("\nkind: Secret\n" in document)
    assert all(item["metadata"]["ownerReferences"][0]["uid"] == "uid-1" for item in items[1:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--toleration", "k=v:Sometimes"], "effect"),
        (["--node-selector", "novalue"], "KEY=VALUE"),
        (["--namespace", "Bad_Name"], "DNS label"),
        (["--variant", "no-such-variant"], "no-such-variant"),
    ],
)
def test_a_bad_option_is_a_usage_error(args: list[str], message: str) -> None:
    result = render("--example", "paint", *args)
    assert result.exit_code == 2
    assert message in result.stderr and not result.stdout


def _pods(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item["kind"] == "Pod"]
