"""`python -m pytest_coworld.provision STEP...`: the provisioning steps that `scripts/*` and CI call.

Steps: `engine` (a running Docker engine), `base-image` (the image examples build FROM, the default), and
`examples [NAME...]` (the images of every example or of the named ones; `example` is an alias; this step needs
the package's dependencies), and `browser` (a Chromium for the browser checks). The Docker steps first make
sure of the engine.
"""

from __future__ import annotations

import argparse
import sys
import time

from pytest_coworld.provision import ProvisionError
from pytest_coworld.provision.base_image import BASE_IMAGE_TAG, ensure_base_image
from pytest_coworld.provision.engine import ensure_engine


def _build_examples(names: list[str]) -> None:
    from pytest_coworld.examples import build_example, list_examples

    for name in names or [example.name for example in list_examples()]:
        for tag, how in build_example(name).items():
            print(f"image {tag}: {how}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_coworld.provision")
    parser.add_argument(
        "step",
        nargs="?",
        default="base-image",
        choices=["engine", "base-image", "examples", "example", "browser"],
    )
    parser.add_argument("names", nargs="*", help="with `examples`: only these examples")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.step == "browser":
            from pytest_coworld.provision.browser import ensure_browser

            print(f"browser: {ensure_browser()}")
            return 0
        print(f"docker engine: {ensure_engine()}")
        if args.step != "engine":
            print(f"base image {BASE_IMAGE_TAG}: {ensure_base_image()}")
        if args.step in ("examples", "example"):
            _build_examples(args.names)
    except ProvisionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"provisioned in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
