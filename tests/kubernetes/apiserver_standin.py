"""A stand-in Kubernetes API server (Starlette + uvicorn on 127.0.0.1) that runs pods on the local Docker
engine, for exactly the calls the Kubernetes backend makes.

REST: create, get, list (equality label selectors) and delete of namespaced ConfigMaps, Secrets, Services,
Pods and NetworkPolicies; pod status (phase, Ready condition, containerStatuses); pod logs. Errors are the
API's Status objects (404 NotFound, 409 AlreadyExists, 400 BadRequest). Deleting an object deletes what names
it as owner (the garbage collector, done at once). Every call is recorded as (method, path template); with
`grants` (an RBAC Role's (verb, resource) pairs), a call outside them is refused with 403 Forbidden.

Pods: a "pause" container per pod holds its network namespace on the namespace's internal Docker network,
with the names of the Services selecting the pod as aliases; the pod's containers join it. emptyDir and
Secret/ConfigMap volumes are host folders bind-mounted (Secrets read-only), env from secretKeyRef and
configMapKeyRef is resolved, `$$`/`$(VAR)` expanded as the kubelet does, capabilities and no-new-privileges
applied. An httpGet readiness probe runs inside the pod's network namespace (from the pause container).
`end_pod` ends a pod as the kubelet does when it evicts it or its deadline passes.
NetworkPolicies are stored, not enforced. Every container and network carries the given labels (the test
run's id) and is removed on delete and when the stand-in stops.
"""

from __future__ import annotations

import base64
import contextlib
import re
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import Mount
from loopback_asgi import LoopbackAsgiServer
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

KINDS = {
    ("api/v1", "configmaps"): "ConfigMap",
    ("api/v1", "secrets"): "Secret",
    ("api/v1", "services"): "Service",
    ("api/v1", "pods"): "Pod",
    ("apis/networking.k8s.io/v1", "networkpolicies"): "NetworkPolicy",
}
RETURNS_OBJECT_ON_DELETE = {"pods", "services"}
VERBS = {"POST": "create", "DELETE": "delete"}
USER = "system:serviceaccount:coworld:coworld-runner"
PROBE = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)"
EXPANSION = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class ApiError(Exception):
    """Answered as a Kubernetes Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


@dataclass
class PodRun:
    """The Docker side of one pod: its pause container, its containers by name, its volume folder."""

    folder: Path
    pause: Container | None = None
    containers: dict[str, Container] = field(default_factory=dict)
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)
    failed: tuple[str, str] | None = None  # (reason, message) once the kubelet ended the pod


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeStandin:
    """The API's state and its Docker pods. `labels` go on every container and network it creates; `grants`
    ((verb, resource) pairs, as an RBAC Role's rules), when given, is all the caller may do."""

    def __init__(
        self,
        client: docker.DockerClient,
        labels: dict[str, str],
        pause_image: str,
        grants: set[tuple[str, str]] | None = None,
    ) -> None:
        self.client, self.labels, self.pause_image, self.grants = client, labels, pause_image, grants
        self.forbidden: list[tuple[str, str]] = []
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.pods: dict[tuple[str, str], PodRun] = {}
        self.networks: dict[str, Any] = {}
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        self.root = Path(tempfile.mkdtemp(prefix="kube-standin-"))
        collection = "/{group:path}/namespaces/{namespace}/{resource}"
        self.app = Starlette(
            routes=[
                Route("/api/v1/namespaces/{namespace}/pods/{name}/log", self._log, methods=["GET"]),
                Route(collection, self._collection, methods=["GET", "POST"]),
                Route(collection + "/{name}", self._item, methods=["GET", "DELETE"]),
            ],
            exception_handlers={ApiError: _status_response},
        )

    # -- REST

    async def _collection(self, request: Request) -> Response:
        group, namespace, resource = self._route(request, named=False)
        if request.method == "POST":
            body = await request.json()
            created = await run_in_threadpool(self.create, group, namespace, resource, body)
            return JSONResponse(created, status_code=201)
        selector = _selector(request.query_params.get("labelSelector", ""))
        items = await run_in_threadpool(self.list, namespace, resource, selector)
        kind = KINDS[(group, resource)]
        version = group.removeprefix("api/").removeprefix("apis/")
        return JSONResponse({"kind": f"{kind}List", "apiVersion": version, "metadata": {}, "items": items})

    async def _item(self, request: Request) -> Response:
        _, namespace, resource = self._route(request, named=True)
        name = request.path_params["name"]
        if request.method == "DELETE":
            return JSONResponse(await run_in_threadpool(self.delete, namespace, resource, name))
        return JSONResponse(await run_in_threadpool(self.get, namespace, resource, name))

    async def _log(self, request: Request) -> Response:
        namespace, name = request.path_params["namespace"], request.path_params["name"]
        self.calls.append(("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log"))
        self._authorize(request, "get", "api/v1", "pods/log")
        text = await run_in_threadpool(self.pod_log, namespace, name, request.query_params.get("container"))
        return PlainTextResponse(text)

    def _route(self, request: Request, named: bool) -> tuple[str, str, str]:
        group, resource = request.path_params["group"], request.path_params["resource"]
        template = f"/{group}/namespaces/{{namespace}}/{resource}" + ("/{name}" if named else "")
        self.calls.append((request.method, template))
        verb = VERBS.get(request.method) or ("get" if named else "list")
        self._authorize(request, verb, group, resource)
        if (group, resource) not in KINDS:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return group, request.path_params["namespace"], resource

    def _authorize(self, request: Request, verb: str, group: str, resource: str) -> None:
        """403 Forbidden, worded as the API server's RBAC authorizer words it, for a call not granted."""
        if self.grants is None or (verb, resource) in self.grants:
            return
        self.forbidden.append((verb, resource))
        name = request.path_params.get("name")
        api_group = group.removeprefix("apis/").rpartition("/")[0] if group.startswith("apis/") else ""
        kind = resource.split("/")[0]
        subject = f'{kind} "{name}"' if name else kind
        namespace = request.path_params["namespace"]
        message = (
            f'{subject} is forbidden: User "{USER}" cannot {verb} resource "{resource}" '
            f'in API group "{api_group}" in the namespace "{namespace}"'
        )
        raise ApiError(403, "Forbidden", message, {"name": name or "", "kind": kind})

    # -- objects

    def create(self, group: str, namespace: str, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        metadata = body.setdefault("metadata", {})
        name = metadata.get("name") or ""
        with self.lock:
            if (namespace, resource, name) in self.objects:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{resource} "{name}" already exists',
                    {"name": name, "kind": resource},
                )
            metadata.update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=now())
            metadata["resourceVersion"] = str(len(self.calls))
            if resource == "secrets":
                encoded = {
                    k: base64.b64encode(v.encode()).decode() for k, v in body.pop("stringData", {}).items()
                }
                body["data"] = {**body.get("data", {}), **encoded}
            self.objects[(namespace, resource, name)] = body
        if resource == "pods":
            self._start_pod(namespace, body)
        if resource == "services":
            self._alias_service(namespace, body)
        return self._shown(namespace, resource, body)

    def get(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        return self._shown(namespace, resource, self._find(namespace, resource, name))

    def list(self, namespace: str, resource: str, selector: dict[str, str]) -> list[dict[str, Any]]:
        with self.lock:
            found = [
                body
                for (ns, kind, _), body in self.objects.items()
                if ns == namespace and kind == resource and _matches(body["metadata"].get("labels"), selector)
            ]
        return [self._shown(namespace, resource, body) for body in found]

    def delete(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        body = self._find(namespace, resource, name)
        shown = self._shown(namespace, resource, body)
        with self.lock:
            self.objects.pop((namespace, resource, name), None)
            uid = body["metadata"]["uid"]
            owned = [
                key
                for key, other in self.objects.items()
                if any(owner.get("uid") == uid for owner in other["metadata"].get("ownerReferences", []))
            ]
        if resource == "pods":
            self._stop_pod(namespace, name)
        for ns, kind, child in owned:
            self.delete(ns, kind, child)
        if resource in RETURNS_OBJECT_ON_DELETE:
            return shown
        details = {"name": name, "kind": resource, "uid": uid}
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _find(self, namespace: str, resource: str, name: str) -> dict[str, Any]:
        with self.lock:
            body = self.objects.get((namespace, resource, name))
        if body is None:
            raise ApiError(
                404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource}
            )
        return body

    def _shown(self, namespace: str, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        if resource != "pods":
            return body
        return {**body, "status": self._pod_status(namespace, body)}

    # -- pods on Docker

    def _network(self, namespace: str) -> Any:
        with self.lock:
            if namespace not in self.networks:
                name = f"kube-standin-{uuid.uuid4().hex[:8]}-{namespace}"
                self.networks[namespace] = self.client.networks.create(
                    name, driver="bridge", internal=True, labels=self.labels
                )
            return self.networks[namespace]

    def _start_pod(self, namespace: str, pod: dict[str, Any]) -> None:
        name, spec = pod["metadata"]["name"], pod["spec"]
        run = PodRun(self.root / namespace / name)
        with self.lock:
            self.pods[(namespace, name)] = run
        run.folder.mkdir(parents=True)
        volumes = {
            volume["name"]: self._volume(namespace, run.folder, volume) for volume in spec.get("volumes", [])
        }
        aliases = [
            body["metadata"]["name"]
            for (ns, kind, _), body in list(self.objects.items())
            if ns == namespace
            and kind == "services"
            and _matches(pod["metadata"]["labels"], body["spec"]["selector"])
        ]
        network = self._network(namespace)
        run.pause = self.client.containers.create(
            self.pause_image,
            ["sleep", "infinity"],
            labels=self.labels,
            hostname=name[:63],
            network=network.name,
            networking_config={network.name: self.client.api.create_endpoint_config(aliases=aliases)},
        )
        run.pause.start()
        for container in spec["containers"]:
            try:
                run.containers[container["name"]] = self._container(namespace, run, container, volumes)
            except docker.errors.ImageNotFound as error:
                run.waiting[container["name"]] = ("ErrImagePull", str(error))
            except ApiError as error:
                run.waiting[container["name"]] = ("CreateContainerConfigError", error.message)
        for container in run.containers.values():
            container.start()

    def _volume(self, namespace: str, folder: Path, volume: dict[str, Any]) -> Path | ApiError:
        """The host folder of a volume, or the error a container mounting it meets."""
        path = folder / volume["name"]
        path.mkdir(mode=0o777)
        path.chmod(0o777)
        source = volume.get("secret") or volume.get("configMap")
        if source is None:
            return path
        resource, name = (
            ("secrets", source["secretName"]) if "secret" in volume else ("configmaps", source["name"])
        )
        try:
            data = self._data(namespace, resource, name)
        except ApiError as error:
            return error
        items = source.get("items") or [{"key": key, "path": key} for key in data]
        for item in items:
            target = path / item["path"]
            target.write_text(data[item["key"]])
            target.chmod(source.get("defaultMode", 0o644))
        return path

    def _data(self, namespace: str, resource: str, name: str) -> dict[str, str]:
        body = self._find(namespace, resource, name)
        data = body.get("data", {})
        return (
            {key: base64.b64decode(value).decode() for key, value in data.items()}
            if resource == "secrets"
            else data
        )

    def _container(
        self, namespace: str, run: PodRun, container: dict[str, Any], volumes: dict[str, Path | ApiError]
    ) -> Container:
        env: dict[str, str] = {}
        for variable in container.get("env", []):
            if "value" in variable:
                env[variable["name"]] = _expand(variable["value"], env)
                continue
            reference = variable["valueFrom"]
            source, resource = (
                (reference["secretKeyRef"], "secrets")
                if "secretKeyRef" in reference
                else (reference["configMapKeyRef"], "configmaps")
            )
            data = self._data(namespace, resource, source["name"])
            if source["key"] not in data:
                raise ApiError(
                    400, "BadRequest", f"couldn't find key {source['key']} in {resource} {source['name']}"
                )
            env[variable["name"]] = data[source["key"]]
        mounts = []
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if isinstance(volume, ApiError):
                raise volume
            source_path = volume / mount.get("subPath", "")
            mounts.append(
                Mount(
                    mount["mountPath"],
                    str(source_path).rstrip("/"),
                    type="bind",
                    read_only=bool(mount.get("readOnly")),
                )
            )
        security = container.get("securityContext", {})
        capabilities = security.get("capabilities", {})
        limits = container.get("resources", {}).get("limits", {})
        assert run.pause is not None
        command = [_expand(arg, env) for arg in container["command"]] if "command" in container else None
        return self.client.containers.create(
            container["image"],
            [_expand(arg, env) for arg in container["args"]] if "args" in container else None,
            entrypoint=command,
            environment=env,
            labels=self.labels,
            mounts=mounts,
            network_mode=f"container:{run.pause.id}",
            cap_drop=capabilities.get("drop"),
            cap_add=capabilities.get("add"),
            security_opt=["no-new-privileges"] if security.get("allowPrivilegeEscalation") is False else None,
            nano_cpus=_nano_cpus(limits["cpu"]) if "cpu" in limits else None,
            mem_limit=_bytes(limits["memory"]) if "memory" in limits else None,
        )

    def _alias_service(self, namespace: str, service: dict[str, Any]) -> None:
        """Give the pods the Service selects its name on the namespace's network (reconnected with it)."""
        name, selector = service["metadata"]["name"], service["spec"]["selector"]
        network = self._network(namespace)
        for (ns, pod_name), run in list(self.pods.items()):
            pod = self.objects.get((ns, "pods", pod_name))
            if (
                ns != namespace
                or run.pause is None
                or pod is None
                or not _matches(pod["metadata"]["labels"], selector)
            ):
                continue
            run.pause.reload()
            aliases = run.pause.attrs["NetworkSettings"]["Networks"][network.name].get("Aliases") or []
            network.disconnect(run.pause)
            network.connect(run.pause, aliases=[*aliases, name])

    def _pod_status(self, namespace: str, pod: dict[str, Any]) -> dict[str, Any]:
        run = self.pods[(namespace, pod["metadata"]["name"])]
        statuses = [self._container_status(run, container) for container in pod["spec"]["containers"]]
        states = [status["state"] for status in statuses]
        if any("waiting" in state for state in states):
            phase = "Pending"
        elif all("terminated" in state for state in states):
            codes = [state["terminated"]["exitCode"] for state in states]
            phase = "Succeeded" if not any(codes) else "Failed"
        else:
            phase = "Running"
        ready = "True" if all(status["ready"] for status in statuses) else "False"
        conditions = [{"type": kind, "status": ready} for kind in ("ContainersReady", "Ready")]
        status = {
            "phase": phase,
            "conditions": conditions,
            "startTime": pod["metadata"]["creationTimestamp"],
            "containerStatuses": statuses,
        }
        if run.failed is not None:
            status.update(phase="Failed", reason=run.failed[0], message=run.failed[1])
        return status

    def _container_status(self, run: PodRun, spec: dict[str, Any]) -> dict[str, Any]:
        name = spec["name"]
        status: dict[str, Any] = {"name": name, "image": spec["image"], "imageID": "", "restartCount": 0}
        if name in run.waiting:
            reason, message = run.waiting[name]
            return {
                **status,
                "ready": False,
                "started": False,
                "state": {"waiting": {"reason": reason, "message": message}},
            }
        container = run.containers[name]
        container.reload()
        state = container.attrs["State"]
        status["containerID"] = f"docker://{container.id}"
        if state["Status"] == "running":
            ready = self._ready(run, spec)
            return {
                **status,
                "ready": ready,
                "started": True,
                "state": {"running": {"startedAt": state["StartedAt"][:19] + "Z"}},
            }
        if state["Status"] in ("exited", "dead"):
            code = int(state["ExitCode"])
            terminated = {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": state["StartedAt"][:19] + "Z",
                "finishedAt": state["FinishedAt"][:19] + "Z",
            }
            return {**status, "ready": False, "started": False, "state": {"terminated": terminated}}
        return {
            **status,
            "ready": False,
            "started": False,
            "state": {"waiting": {"reason": "ContainerCreating"}},
        }

    def _ready(self, run: PodRun, spec: dict[str, Any]) -> bool:
        """A running container is ready without a probe, else once its httpGet probe answered (latched)."""
        probe = spec.get("readinessProbe", {}).get("httpGet")
        if probe is None or spec["name"] in run.ready:
            return True
        port = probe["port"]
        if isinstance(port, str):
            port = next(item["containerPort"] for item in spec.get("ports", []) if item.get("name") == port)
        assert run.pause is not None
        result = run.pause.exec_run(["python3", "-c", PROBE, f"http://127.0.0.1:{port}{probe['path']}"])
        if result.exit_code == 0:
            run.ready.add(spec["name"])
        return result.exit_code == 0

    def pod_log(self, namespace: str, name: str, container: str | None) -> str:
        pod = self._find(namespace, "pods", name)
        names = [item["name"] for item in pod["spec"]["containers"]]
        if container is None and len(names) > 1:
            raise ApiError(
                400,
                "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: {names}",
            )
        container = container or names[0]
        if container not in names:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        run = self.pods[(namespace, name)]
        if container in run.waiting:
            reason = run.waiting[container][0]
            raise ApiError(
                400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        return bytes(run.containers[container].logs(stdout=True, stderr=True)).decode(errors="replace")

    def end_pod(self, namespace: str, name: str, reason: str, message: str) -> None:
        """End a pod as the kubelet does when it evicts it (`Evicted`) or its `activeDeadlineSeconds` passed
        (`DeadlineExceeded`): its containers are killed and it is Failed with that reason."""
        run = self.pods[(namespace, name)]
        for container in run.containers.values():
            with contextlib.suppress(docker.errors.APIError):
                container.kill()
        run.failed = (reason, message)

    def _stop_pod(self, namespace: str, name: str) -> None:
        with self.lock:
            run = self.pods.pop((namespace, name), None)
        if run is None:
            return
        for container in [*run.containers.values(), *([run.pause] if run.pause else [])]:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        shutil.rmtree(run.folder, ignore_errors=True)

    def close(self) -> None:
        """Remove every pod's containers, the networks and the volume folders."""
        for namespace, name in list(self.pods):
            self._stop_pod(namespace, name)
        for network in self.networks.values():
            network.remove()
        shutil.rmtree(self.root, ignore_errors=True)


async def _status_response(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return JSONResponse(error.status(), status_code=error.code)


def _selector(text: str) -> dict[str, str]:
    """An equality label selector (`a=b,c=d`), the only kind the backend sends."""
    return dict(part.split("=", 1) for part in text.split(",") if part)


def _matches(labels: dict[str, str] | None, selector: dict[str, str]) -> bool:
    return all((labels or {}).get(key) == value for key, value in selector.items())


def _expand(text: str, env: dict[str, str]) -> str:
    """The kubelet's expansion: `$$` is `$`, `$(NAME)` a variable defined earlier (kept as is when not)."""
    return EXPANSION.sub(lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def _nano_cpus(quantity: str) -> int:
    return int(float(quantity[:-1]) * 1_000_000) if quantity.endswith("m") else int(float(quantity) * 1e9)


def _bytes(quantity: str) -> int:
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity.removesuffix(suffix)) * factor
    return int(quantity)


class KubeStandinServer(LoopbackAsgiServer):
    """Serve a `KubeStandin` on 127.0.0.1 in a thread; use as a context manager (it removes its pods)."""

    def __init__(self, standin: KubeStandin) -> None:
        self.standin = standin
        super().__init__(standin.app, "the Kubernetes API stand-in")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc_info: object) -> None:
        super().__exit__(*exc_info)
        self.standin.close()
