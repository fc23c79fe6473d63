"""The game's Service, and the NetworkPolicies: players reach the game's 8080 and nothing else (but the
cluster DNS, to find the Service); the game takes only the players' connections and reaches nothing."""

from __future__ import annotations

from typing import Any

from pytest_coworld.kubernetes.identity import EpisodeIdentity
from pytest_coworld.runtime.containers import GAME_PORT

PORT_NAME = "http"
CLUSTER_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
"""CoreDNS (and kube-dns) as most clusters label it."""


def player_url(identity: EpisodeIdentity, slot: int, token: str) -> str:
    """`ws://<service>:8080/player?slot=<slot>&token=<token>`, as the platform gives it."""
    return f"ws://{identity.name}:{GAME_PORT}/player?slot={slot}&token={token}"


def game_service(identity: EpisodeIdentity) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": identity.metadata(identity.name, identity.labels("game")),
        "spec": {
            "type": "ClusterIP",
            "selector": identity.game_selector(),
            "ports": [{"name": PORT_NAME, "protocol": "TCP", "port": GAME_PORT, "targetPort": PORT_NAME}],
        },
    }


def game_policy(identity: EpisodeIdentity) -> dict[str, Any]:
    """Into the game: the episode's players on 8080/TCP only. Out of it: nothing."""
    players = {"podSelector": {"matchLabels": identity.component("player")}}
    ingress = [{"from": [players], "ports": [_tcp(GAME_PORT)]}]
    return _policy(identity, "game", ingress=ingress, egress=[])


def players_policy(identity: EpisodeIdentity) -> dict[str, Any]:
    """Into the players: nothing. Out of them: the game's 8080/TCP, and DNS to the cluster's resolver."""
    game = {"podSelector": {"matchLabels": identity.component("game")}}
    dns = {"to": [CLUSTER_DNS], "ports": [{"protocol": "UDP", "port": 53}, _tcp(53)]}
    return _policy(identity, "player", ingress=[], egress=[{"to": [game], "ports": [_tcp(GAME_PORT)]}, dns])


def _policy(
    identity: EpisodeIdentity, role: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": identity.metadata(f"{identity.name}-{role}", identity.labels(role)),
        "spec": {
            "podSelector": {"matchLabels": identity.component(role)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}
