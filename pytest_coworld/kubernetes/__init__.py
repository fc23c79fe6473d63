"""The Kubernetes episode backend, phase 1: one episode rendered as Kubernetes objects (plain dicts).

Per episode, in one namespace: an anchor ConfigMap (the parent every other object names as owner), the
game's config Secret, two NetworkPolicies, the game pod and its Service, and per slot a Secret and a player
pod (`render.anchor`, `render.episode_objects`); `output.to_yaml` prints them. See docs/kubernetes.md.
Nothing is imported here, so that the CLI can name `placement` without loading the Docker runtime.
"""
