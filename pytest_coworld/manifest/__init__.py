"""The Coworld manifest: load it, find its generation, check it against the contract, model it.

`load_manifest(ref)` is what the runtime and the CLI use; `check_document(document)` reports every violation
of an already-parsed document without raising.
"""

from pytest_coworld.manifest.generation import Contract, detect_generation
from pytest_coworld.manifest.loader import ManifestLoadError, load_document, load_manifest
from pytest_coworld.manifest.models import (
    Certification,
    Game,
    Generation,
    LoadedManifest,
    Manifest,
    RoleSpec,
    Runnable,
    Variant,
)
from pytest_coworld.manifest.validation import ManifestInvalid, ManifestReport, check_document
from pytest_coworld.manifest.violations import Violation

__all__ = [
    "Certification",
    "Contract",
    "Game",
    "Generation",
    "LoadedManifest",
    "Manifest",
    "ManifestInvalid",
    "ManifestLoadError",
    "ManifestReport",
    "RoleSpec",
    "Runnable",
    "Variant",
    "Violation",
    "check_document",
    "detect_generation",
    "load_document",
    "load_manifest",
]
