"""Talk to the Coworld platform: credentials, the HTTP API, OCI image pushes, uploads and downloads.

Everything here follows `PLATFORM_API.md`; every failure is a `PlatformError`: one line, plus a hint.
"""

from pytest_coworld.platform.errors import PlatformError

__all__ = ["PlatformError"]
