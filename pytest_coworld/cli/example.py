"""`coworld example list|build|defects`: the bundled example Coworlds."""

from __future__ import annotations

from typing import Annotated

import typer

from pytest_coworld.cli.common import GROUP_CONTEXT, fail, stdout

app = typer.Typer(
    help="The bundled example Coworlds: list them, build their images, show their defects.",
    no_args_is_help=True,
    context_settings=GROUP_CONTEXT,
)
NameArgument = Annotated[str, typer.Argument(help="Example name, from `coworld example list`.")]


@app.command("list")
def list_command() -> None:
    """One line per example: name, slots, description."""
    from pytest_coworld.examples import list_examples

    for example in list_examples():
        stdout.print(f"{example.name:<12} slots={example.slots():<4} {example.description}", markup=False)


@app.command("build")
def build_command(name: NameArgument) -> None:
    """Build the example's game and player images (cached; works offline)."""
    from pytest_coworld.examples import ExampleNotFound, build_example
    from pytest_coworld.provision import ProvisionError

    try:
        for tag, how in build_example(name).items():
            stdout.print(f"{tag}: {how}", markup=False)
    except ExampleNotFound as error:
        fail(str(error), hint="`coworld example list` shows the bundled examples")
    except ProvisionError as error:
        fail(str(error), code=1)


@app.command("defects")
def defects_command(name: NameArgument) -> None:
    """One line per defect of the example: id, target, the rule it breaks, the check that catches it."""
    from pytest_coworld.examples import ExampleNotFound, defects_of

    try:
        defects = defects_of(name)
    except ExampleNotFound as error:
        fail(str(error), hint="`coworld example list` shows the bundled examples")
    for defect in defects:
        stdout.print(f"{defect.id:<28} {defect.target:<6} {defect.rule}  [{defect.check}]", markup=False)
