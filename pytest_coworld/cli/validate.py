"""`coworld validate`: check a manifest against the contract and report every violation at once.

Exit status: 0 valid, 1 invalid (the first 50 violations are shown, --json lists all), 2 the manifest could
not be read.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pytest_coworld.cli.common import ExampleOption, ManifestArgument, fail, manifest_reference, stdout
from pytest_coworld.contract import Contract

if TYPE_CHECKING:
    from pytest_coworld.manifest import ManifestReport

EXIT_INVALID = 1

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
ContractOption = Annotated[
    Contract,
    typer.Option(
        "--contract",
        help="Which manifest generation to check against; auto detects it (MANIFEST.md).",
        case_sensitive=False,
    ),
]

VIOLATIONS_SHOWN = 50  # a hostile manifest can break a rule a million times: the first 50 say enough


def validate_command(
    manifest: ManifestArgument = None,
    json_output: JsonOption = False,
    example: ExampleOption = None,
    contract: ContractOption = Contract.AUTO,
) -> None:
    """Check a Coworld manifest: its generation, the JSON Schema and every rule beyond it, all at once.

    Exits 0 when valid, 1 when invalid (every violation is listed), 2 when the manifest cannot be read.
    """
    from pytest_coworld.manifest import ManifestLoadError, check_document, load_document

    reference = manifest_reference(manifest, example)
    try:
        document, source, _, _ = load_document(reference)
    except ManifestLoadError as error:
        fail(str(error))
    report = check_document(document, contract)
    summary = _summary(source, report)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
    elif report.valid:
        _print_valid(summary)
    else:
        _print_invalid(summary)
    raise typer.Exit(0 if report.valid else EXIT_INVALID)


def _summary(source: str, report: ManifestReport) -> dict[str, Any]:
    """The facts both output forms show: validity, generation, slots, images, variants, violations."""
    model = report.manifest
    low, high = model.token_bounds() if model else (None, None)
    return {
        "valid": report.valid,
        "source": source,
        "generation": str(report.generation),
        "slot_count": model.slot_count() if model else None,
        "token_bounds": [low, high] if model else None,
        "images": [{"path": path, "image": image} for path, image in model.referenced_images()]
        if model
        else [],
        "variants": [variant.id for variant in model.variants] if model else [],
        "violations": [asdict(found) for found in report.violations],
    }


def _print_valid(summary: dict[str, Any]) -> None:
    _line(f"valid: {summary['source']}", style="bold green")
    _line(f"generation: {summary['generation']}")
    low, high = summary["token_bounds"]
    bounds = "" if low == high else f" (tokens allow {low}-{high})"
    _line(f"slots: {summary['slot_count']}{bounds}")
    _line("images:")
    width = max((len(entry["path"]) for entry in summary["images"]), default=0)
    for entry in summary["images"]:
        _line(f"  {entry['path']:<{width}}  {entry['image']}")
    _line(f"variants: {', '.join(summary['variants'])}")


def _print_invalid(summary: dict[str, Any]) -> None:
    _line(f"invalid: {summary['source']} ({summary['generation']} manifest)", style="bold red")
    for found in summary["violations"][:VIOLATIONS_SHOWN]:
        _line(f"  {found['path']}  [{found['rule']}]", style="bold")
        _line(f"    {found['message']}")
        _line(f"    hint: {found['hint']}", style="dim")
    count = len(summary["violations"])
    if count > VIOLATIONS_SHOWN:
        _line(f"  … and {count - VIOLATIONS_SHOWN} more (--json lists them all)")
    _line(f"{count} violation{'s' * (count != 1)} in {summary['source']}", style="bold red")


def _line(text: str, style: str | None = None) -> None:
    stdout.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
