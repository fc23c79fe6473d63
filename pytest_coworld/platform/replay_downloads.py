"""Download episode replays (`replays --download-dir`) and policy logs (`episode-logs --download-dir`).

Each file is written under a temporary name and renamed once whole (a replay also once it parses as JSON),
so a file with its final name is complete: a re-run skips it and fetches only what is missing. Replays
whose URL ends `.z`/`.gz` are inflated on the way in; `index.json` describes every replay downloaded.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from pytest_coworld.platform.errors import PlatformError
from pytest_coworld.platform.http_errors import server_message, transport_error
from pytest_coworld.platform.progress import TransferProgress
from pytest_coworld.platform.tournament import TournamentApi
from pytest_coworld.platform.tournament_models import EpisodeRequest

INDEX_FILE = "index.json"
COMPRESSED_SUFFIXES = (".z", ".gz")
DECODED_ENCODINGS = ("gzip", "deflate")  # httpx already inflates these Content-Encodings
ANY_ZLIB_HEADER = 32 + zlib.MAX_WBITS  # gzip or zlib, detected from the header
HTTP_SCHEMES = ("http://", "https://")
REPLAY_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
ALREADY_HERE = "already downloaded"
RESUME_HINT = "run the same command again: complete files are kept, the rest are fetched again"


@dataclass
class ReplayDownloads:
    """What `download_replays` did: the index entries of the replays on disk, and what failed."""

    index_path: Path
    index: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def replay_file(directory: Path, episode: EpisodeRequest) -> Path:
    return directory / f"{episode.id}.json"


def log_file(directory: Path, episode: EpisodeRequest, agent: int) -> Path:
    return directory / f"{episode.id}-policy_agent_{agent}.txt"


def is_compressed(url: str) -> bool:
    """Whether the replay at `url` is gzip/zlib-compressed: its path ends `.z` or `.gz`."""
    return httpx.URL(url).path.endswith(COMPRESSED_SUFFIXES)


def download_replays(
    api: TournamentApi, episodes: list[EpisodeRequest], directory: Path, progress: TransferProgress
) -> ReplayDownloads:
    """Write each episode's replay as `DIR/<ereq>.json` (skipping complete ones), then `DIR/index.json`."""
    _make_directory(directory)
    result = ReplayDownloads(index_path=directory / INDEX_FILE)
    with _replay_http() as http:
        for episode in episodes:
            target = replay_file(directory, episode)
            try:
                _fetch_replay(http, api, episode, target, progress)
            except PlatformError as error:
                progress.note(f"  {target.name}: failed: {error.message}")
                result.failures.append(f"{episode.id}: {error.message}")
                continue
            result.index.append(_index_entry(episode, target))
    with _staged(result.index_path) as (_, handle):
        handle.write((json.dumps(result.index, indent=2) + "\n").encode())
    return result


def fetch_replay(
    api: TournamentApi, episode: EpisodeRequest, directory: Path, progress: TransferProgress
) -> Path:
    """The episode's replay as `DIR/<ereq>.json`, fetched unless already complete."""
    _make_directory(directory)
    target = replay_file(directory, episode)
    with _replay_http() as http:
        _fetch_replay(http, api, episode, target, progress)
    return target


def download_logs(
    api: TournamentApi,
    episode: EpisodeRequest,
    agents: list[int],
    directory: Path,
    progress: TransferProgress,
) -> list[Path]:
    """Write each agent's policy log as `DIR/<ereq>-policy_agent_<N>.txt`, skipping complete ones."""
    _make_directory(directory)
    written = []
    for agent in agents:
        target = log_file(directory, episode, agent)
        written.append(target)
        if _already_here(target, progress):
            continue
        content = api.policy_log(episode, agent)
        progress.blob_started(target.name, len(content))
        progress.blob_advanced(len(content))
        with _staged(target) as (_, handle):
            handle.write(content)
        progress.blob_finished(f"downloaded ({len(content)} bytes)")
    return written


def _make_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PlatformError(f"cannot create {directory}: {error.strerror or error}") from None


def _replay_http() -> httpx.Client:
    """Replay URLs are fetched directly (no proxy from the environment), following redirects."""
    return httpx.Client(trust_env=False, timeout=REPLAY_TIMEOUT, follow_redirects=True)


def _already_here(target: Path, progress: TransferProgress) -> bool:
    if not target.is_file():
        return False
    progress.blob_started(target.name, target.stat().st_size)
    progress.blob_finished(ALREADY_HERE)
    return True


@contextmanager
def _staged(target: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A temporary file beside `target`, renamed to it when the block ends without error, else removed."""
    staging = target.with_name(f".{target.name}.part")
    try:
        with staging.open("wb") as handle:
            yield staging, handle
        os.replace(staging, target)
    except OSError as error:
        raise PlatformError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        staging.unlink(missing_ok=True)


def _fetch_replay(
    http: httpx.Client, api: TournamentApi, episode: EpisodeRequest, target: Path, progress: TransferProgress
) -> None:
    if _already_here(target, progress):
        return
    url = episode.replay_url or ""
    with _staged(target) as (staging, handle):
        if url.startswith(HTTP_SCHEMES):
            _stream(http, url, handle, progress, target.name)
        else:
            content = api.replay_artifact(episode)
            progress.blob_started(target.name, len(content))
            progress.blob_advanced(len(content))
            handle.write(_inflate(content, url) if is_compressed(url) else content)
        handle.close()
        _require_json(staging, episode)
    progress.blob_finished("downloaded")


def _stream(http: httpx.Client, url: str, out: BinaryIO, progress: TransferProgress, label: str) -> None:
    """GET `url` in chunks into `out`, inflating a `.z`/`.gz` replay on the way."""
    host = httpx.URL(url).host
    try:
        with http.stream("GET", url) as response:
            if not response.is_success:
                raise PlatformError(
                    f"{host} answered GET replay with {response.status_code} {response.reason_phrase}: "
                    f"{server_message(response)}",
                    hint="the replay URL may have expired; list the episode again for a fresh one",
                )
            encoding = response.headers.get("content-encoding", "").lower()
            inflater = (
                zlib.decompressobj(ANY_ZLIB_HEADER)
                if is_compressed(url) and encoding not in DECODED_ENCODINGS
                else None
            )
            progress.blob_started(label, int(response.headers.get("content-length", "0") or 0))
            seen = 0
            for chunk in response.iter_bytes():
                progress.blob_advanced(response.num_bytes_downloaded - seen)
                seen = response.num_bytes_downloaded
                out.write(inflater.decompress(chunk) if inflater else chunk)
            if inflater:
                out.write(inflater.flush())
                if not inflater.eof:
                    raise PlatformError(f"the replay from {host} ends before its compressed stream does")
    except httpx.TransportError as error:
        raise PlatformError(transport_error(error, "GET replay", host).message, hint=RESUME_HINT) from None
    except zlib.error as error:
        raise PlatformError(f"the replay from {host} is not valid gzip/zlib data: {error}") from None


def _inflate(content: bytes, url: str) -> bytes:
    try:
        return zlib.decompress(content, ANY_ZLIB_HEADER)
    except zlib.error as error:
        raise PlatformError(f"the replay of {url} is not valid gzip/zlib data: {error}") from None


def _require_json(path: Path, episode: EpisodeRequest) -> None:
    try:
        with path.open("rb") as handle:
            json.load(handle)
    except ValueError as error:
        raise PlatformError(f"the replay of {episode.id} is not valid JSON: {error}") from None


def _index_entry(episode: EpisodeRequest, path: Path) -> dict[str, Any]:
    return {
        "episode_request_id": episode.id,
        "episode_id": episode.episode_id,
        "job_id": episode.job_id,
        "coworld_id": episode.coworld_id,
        "replay_url": episode.replay_url,
        "local_path": str(path.resolve()),
        "seed": episode.seed,
        "status": episode.status,
        "participants": [participant.raw() for participant in episode.participants],
        "scores": [score.raw() for score in episode.scores],
    }
