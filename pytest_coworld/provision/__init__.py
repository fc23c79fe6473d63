"""Provisioning that makes a bare machine ready: a Docker engine, the base image, the wheelhouse.

`engine`, `base_image` and `wheelhouse` use only the standard library and the `docker` command line, so
`scripts/*` can run them before the package's dependencies are installed. Every step is idempotent and
cached: a second run takes seconds.
"""

from __future__ import annotations


class ProvisionError(RuntimeError):
    """A provisioning step could not be done; the message says why and how to fix it."""
