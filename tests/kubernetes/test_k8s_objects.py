"""What the rendered objects say: the wiring, the owner, the network, the secrets, the sandbox, the labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_objects import OWNER_UID, SECRET_ENV, Rendered, render

from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.kubernetes.output import redacted, to_yaml
from pytest_coworld.kubernetes.placement import Placement, parse_node_selector, parse_toleration
from pytest_coworld.kubernetes.render import episode_objects
from pytest_coworld.kubernetes.sandbox import START_ALLOWANCE_SECONDS
from pytest_coworld.kubernetes.secrets import SECRETS_DIR, SECRETS_DIR_ENV, WS_URL_KEY
from pytest_coworld.runtime import NO_LIMITS, EpisodeSetupError, ResourceLimits, build_episode_spec
from pytest_coworld.runtime.containers import KEPT_CAPABILITIES
from pytest_coworld.runtime.labels import LABEL_EPISODE, LABEL_ROLE, LABEL_RUN_ID, LABEL_SLOT
from pytest_coworld.runtime.workspace import Workspace

EXAMPLES = ["paint", "auction"]
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
"""What the Pod Security Standards' `baseline` level lets a container add."""


def pods(rendered: Rendered) -> list[dict[str, Any]]:
    return rendered.of_kind("Pod")


def container(pod: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod["spec"]["containers"]
    return only


def env(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container(pod)["env"]}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


@pytest.mark.parametrize("example", EXAMPLES)
def test_players_reach_the_game_through_its_service(example: str) -> None:
    rendered = render(example)
    identity, service = rendered.identity, rendered.of_kind("Service")[0]
    game = rendered.named("Pod", identity.game_pod)
    assert selects(service["spec"]["selector"], game["metadata"]["labels"])
    assert not any(
        selects(service["spec"]["selector"], pod["metadata"]["labels"]) for pod in pods(rendered)[1:]
    )
    (port,) = service["spec"]["ports"]
    (game_port,) = container(game)["ports"]
    assert (port["port"], port["targetPort"]) == (8080, game_port["name"])
    assert game_port["containerPort"] == 8080
    for slot, token in enumerate(rendered.tokens):
        player = rendered.named("Pod", identity.player_pod(slot))
        secret = rendered.named("Secret", identity.player_secret(slot))
        url = secret["stringData"][WS_URL_KEY]
        assert url == f"ws://{service['metadata']['name']}:8080/player?slot={slot}&token={token}"
        for name in ("COWORLD_PLAYER_WS_URL", "COGAMES_ENGINE_WS_URL"):
            reference = env(player)[name]["valueFrom"]["secretKeyRef"]
            assert reference == {"name": secret["metadata"]["name"], "key": WS_URL_KEY}


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_game_gets_the_docker_backends_env_and_its_config(example: str, tmp_path: Path) -> None:
    rendered = render(example)
    game = rendered.named("Pod", rendered.identity.game_pod)
    docker_env = {**rendered.spec.game.env, **Workspace(tmp_path, rendered.spec.loaded.generation).game_env()}
    assert {name: entry["value"] for name, entry in env(game).items()} == docker_env
    mounts = {mount["mountPath"]: mount for mount in container(game)["volumeMounts"]}
    assert mounts["/coworld/config.json"]["subPath"] == "config.json"
    config = json.loads(
        rendered.named("Secret", rendered.identity.config_secret)["stringData"]["config.json"]
    )
    assert config == {**rendered.spec.game_config, "tokens": rendered.tokens}
    volumes = {volume["name"]: volume for volume in game["spec"]["volumes"]}
    assert volumes[mounts["/coworld"]["name"]] == {"name": "work", "emptyDir": {}}
    assert (
        volumes[mounts["/coworld/config.json"]["name"]]["secret"]["secretName"]
        == rendered.identity.config_secret
    )


def test_players_get_the_docker_backends_env_in_its_order() -> None:
    rendered = render("auction", secret_env=SECRET_ENV)
    player = rendered.spec.players[0]
    docker_order = [*player.env, *player.secret_env, "COWORLD_PLAYER_WS_URL", "COGAMES_ENGINE_WS_URL"]
    names = list(env(pods(rendered)[1]))
    assert [name for name in names if name != SECRETS_DIR_ENV] == docker_order


@pytest.mark.parametrize("owner_uid", [OWNER_UID, None])
def test_every_object_but_the_anchor_is_owned_by_it(owner_uid: str | None) -> None:
    rendered = render("auction", secret_env=SECRET_ENV, owner_uid=owner_uid)
    anchor, *children = rendered.objects
    assert (anchor["kind"], anchor["metadata"]["name"]) == ("ConfigMap", rendered.identity.name)
    assert "ownerReferences" not in anchor["metadata"]
    expected = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": anchor["metadata"]["name"], "uid": owner_uid}
    ]
    for child in children:
        assert child["metadata"].get("ownerReferences") == (expected if owner_uid else None)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_network_policies_let_players_reach_only_the_game(example: str) -> None:
    rendered = render(example)
    identity = rendered.identity
    game = rendered.named("Pod", identity.game_pod)["metadata"]["labels"]
    players = [pod["metadata"]["labels"] for pod in pods(rendered)[1:]]
    game_policy = rendered.named("NetworkPolicy", f"{identity.name}-game")["spec"]
    players_policy = rendered.named("NetworkPolicy", f"{identity.name}-player")["spec"]
    for policy in (game_policy, players_policy):
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        assert policy["podSelector"]["matchLabels"]["coworld-job-id"] == identity.name
    assert selects(game_policy["podSelector"]["matchLabels"], game)
    assert not any(selects(game_policy["podSelector"]["matchLabels"], labels) for labels in players)
    assert all(selects(players_policy["podSelector"]["matchLabels"], labels) for labels in players)
    assert not selects(players_policy["podSelector"]["matchLabels"], game)
    (into_game,) = game_policy["ingress"]
    (peer,) = into_game["from"]
    assert list(peer) == ["podSelector"]
    assert all(selects(peer["podSelector"]["matchLabels"], labels) for labels in players)
    assert into_game["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert game_policy["egress"] == [] and players_policy["ingress"] == []
    to_game, dns = players_policy["egress"]
    assert to_game == {"to": [{"podSelector": {"matchLabels": game_policy["podSelector"]["matchLabels"]}}],
                       "ports": [{"protocol": "TCP", "port": 8080}]}  # fmt: skip
    assert {port["port"] for port in dns["ports"]} == {53}
    (resolver,) = dns["to"]
    assert resolver["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert resolver["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}


@pytest.mark.parametrize("example", EXAMPLES)
def test_no_token_or_secret_value_is_in_any_pod_spec(example: str) -> None:
    rendered = render(example, secret_env=SECRET_ENV)
    secret_values = [*rendered.tokens, *SECRET_ENV.values()]
    for pod in pods(rendered):
        text = json.dumps(pod)
        assert not [value for value in secret_values if value in text]
    stored = json.dumps(rendered.of_kind("Secret"))
    assert all(value in stored for value in secret_values)
    others = json.dumps([item for item in rendered.objects if item["kind"] != "Secret"])
    assert not [value for value in secret_values if value in others]


def test_secret_env_reaches_the_player_from_its_secret_as_env_and_files() -> None:
    rendered = render("paint", secret_env=SECRET_ENV)
    for slot in range(rendered.spec.slot_count):
        pod = rendered.named("Pod", rendered.identity.player_pod(slot))
        secret = rendered.named("Secret", rendered.identity.player_secret(slot))
        for name, value in SECRET_ENV.items():
            assert secret["stringData"][name] == value
            assert env(pod)[name]["valueFrom"]["secretKeyRef"] == {
                "name": secret["metadata"]["name"],
                "key": name,
            }
        assert env(pod)[SECRETS_DIR_ENV]["value"] == SECRETS_DIR
        (mount,) = container(pod)["volumeMounts"]
        assert (mount["mountPath"], mount["readOnly"]) == (SECRETS_DIR, True)
        (volume,) = pod["spec"]["volumes"]
        assert volume["secret"]["secretName"] == secret["metadata"]["name"]
        assert [item["key"] for item in volume["secret"]["items"]] == list(SECRET_ENV)
    plain = render("paint")
    assert all(SECRETS_DIR_ENV not in env(pod) and "volumes" not in pod["spec"] for pod in pods(plain)[1:])


def test_a_secret_env_name_that_is_no_variable_is_refused_without_its_value() -> None:
    with pytest.raises(EpisodeSetupError, match="variable names") as raised:
        render("paint", secret_env={"NOT-A-NAME": "hunter2-value"})
    assert "hunter2-value" not in str(raised.value)


@pytest.mark.parametrize("example", EXAMPLES)
def test_labels_carry_the_run_episode_role_and_slot(example: str) -> None:
    rendered = render(example)
    identity = rendered.identity
    for item in rendered.objects:
        labels = item["metadata"]["labels"]
        assert labels[LABEL_RUN_ID] == identity.run_id
        assert labels[LABEL_EPISODE] == identity.episode_id
        assert labels["coworld-job-id"] == identity.name
        assert item["metadata"]["namespace"] == "coworld-test"
    for slot in range(rendered.spec.slot_count):
        labels = rendered.named("Pod", identity.player_pod(slot))["metadata"]["labels"]
        assert (labels[LABEL_ROLE], labels[LABEL_SLOT], labels["coworld-player-slot"]) == (
            "player",
            str(slot),
            str(slot),
        )
        assert labels["coworld-component"] == "player"
    assert rendered.named("Pod", identity.game_pod)["metadata"]["labels"][LABEL_ROLE] == "game"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_pod_is_sandboxed_like_a_docker_container(example: str) -> None:
    for pod in pods(render(example)):
        spec = pod["spec"]
        assert spec["restartPolicy"] == "Never"
        assert spec["automountServiceAccountToken"] is False
        assert spec["enableServiceLinks"] is False
        assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec)
        assert all("hostPath" not in volume for volume in spec.get("volumes", []))
        security = container(pod)["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["privileged"] is False
        assert security["capabilities"] == {"drop": ["ALL"], "add": KEPT_CAPABILITIES}
        assert set(security["capabilities"]["add"]) <= BASELINE_CAPABILITIES
        assert pod["metadata"]["annotations"] == {"karpenter.sh/do-not-disrupt": "true"}


def test_limits_become_equal_requests_and_limits_and_none_when_disabled() -> None:
    limited = render("paint", limits=ResourceLimits(cpus=1.5, memory_bytes=768 * 1024 * 1024))
    odd = render("paint", limits=ResourceLimits(cpus=0.25, memory_bytes=100_000_000))
    for pod in pods(limited):
        amounts = {"cpu": "1500m", "memory": "768Mi"}
        assert container(pod)["resources"] == {"requests": amounts, "limits": amounts}
    assert container(pods(odd)[0])["resources"]["limits"] == {"cpu": "250m", "memory": "100000000"}
    assert all("resources" not in container(pod) for pod in pods(render("paint", limits=NO_LIMITS)))


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_deadline_covers_every_phase_of_the_episode(example: str) -> None:
    rendered = render(example)
    timeouts = rendered.spec.resolved_timeouts
    phases = sum(timeouts.seconds(name) for name in ("healthz", "episode", "game_exit", "player_exit"))
    for pod in pods(rendered):
        assert pod["spec"]["activeDeadlineSeconds"] == phases + START_ALLOWANCE_SECONDS
        assert pod["spec"]["terminationGracePeriodSeconds"] == 10


def test_node_selector_and_tolerations_reach_every_pod() -> None:
    selector = parse_node_selector(["coworld=games", "kubernetes.io/arch=amd64"])
    tolerations = (parse_toleration("workload-type=coworld"), parse_toleration("gpu:NoExecute"))
    rendered = render("auction", placement=Placement(selector, tolerations))
    for pod in pods(rendered):
        assert pod["spec"]["nodeSelector"] == {"coworld": "games", "kubernetes.io/arch": "amd64"}
        assert pod["spec"]["tolerations"] == [
            {"key": "workload-type", "operator": "Equal", "value": "coworld", "effect": "NoSchedule"},
            {"key": "gpu", "operator": "Exists", "effect": "NoExecute"},
        ]
    assert all({"nodeSelector", "tolerations"}.isdisjoint(pod["spec"]) for pod in pods(render("auction")))


@pytest.mark.parametrize("text", ["=v", "k=v:Sometimes", ":NoSchedule"])
def test_a_bad_toleration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="toleration"):
        parse_toleration(text)


@pytest.mark.parametrize("pairs", [["novalue"], ["=v"]])
def test_a_bad_node_selector_is_refused(pairs: list[str]) -> None:
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_node_selector(pairs)


def test_a_namespace_must_be_a_dns_label() -> None:
    with pytest.raises(ValueError, match="DNS label"):
        EpisodeIdentity("Not_A_Namespace")


@pytest.mark.parametrize(
    ("run", "command", "args"),
    [
        (["/bin/play", "--home=$(HOME)", "$$"], ["/bin/play"], ["--home=$$(HOME)", "$$$$"]),
        (["/bin/play"], ["/bin/play"], None),
    ],
)
def test_run_and_env_pass_through_literally_as_docker_passes_them(
    run: list[str], command: list[str], args: list[str] | None
) -> None:
    """`run[0]` is the command, the rest its args (none when empty); `$(NAME)` is not expanded."""
    loaded = render("paint").spec.loaded
    spec = build_episode_spec(loaded, run=run, env={"PRICE": "$5 $(X)"})
    rendered = episode_objects(EpisodeIdentity("ns"), spec, ["t0", "t1"])
    player = container(rendered[-1])
    assert (player["command"], player.get("args")) == (command, args)
    assert env(rendered[-1])["PRICE"]["value"] == "$$5 $$(X)"
    assert not {"command", "args"} & set(container(rendered[3]))


def test_redacted_secrets_hold_placeholders_and_nothing_else_changes() -> None:
    rendered = render("paint", secret_env=SECRET_ENV)
    shown = redacted(rendered.objects, rendered.spec, rendered.tokens)
    text = json.dumps(shown)
    assert not [value for value in [*rendered.tokens, *SECRET_ENV.values()] if value in text]
    assert "<redacted:secret:OPENAI_API_KEY>" in text and "<redacted:token:1>" in text
    assert [item for item in shown if item["kind"] != "Secret"] == [
        item for item in rendered.objects if item["kind"] != "Secret"
    ]


def test_the_yaml_reads_back_as_the_objects() -> None:
    rendered = render("auction", secret_env={"PEM": "-----BEGIN-----\nline $(two)\n-----END-----\n"})
    text = to_yaml(rendered.objects, ["a header", "two lines"], "a note")
    assert text.startswith("# a header\n# two lines\n---\n")
    assert list(yaml.safe_load_all(text)) == rendered.objects
    assert "&id" not in text and "*id" not in text
