"""`--coworld-cpus` and `--coworld-memory` set the limits of every certification container; a bad value is a
usage error that names the option."""

from __future__ import annotations

import pytest

from pytest_coworld.options import CoworldOptions
from pytest_coworld.runtime import ResourceLimits

MIB = 1024 * 1024


def _options(pytester: pytest.Pytester, *args: str) -> CoworldOptions:
    return CoworldOptions.from_config(pytester.parseconfig(*args))


def test_limits_default_to_one_cpu_and_one_gibibyte(pytester: pytest.Pytester) -> None:
    assert _options(pytester).limits == ResourceLimits(cpus=1.0, memory_bytes=1024 * MIB)


def test_limits_come_from_the_options(pytester: pytest.Pytester) -> None:
    options = _options(pytester, "--coworld-cpus=0.5", "--coworld-memory=512m")
    assert options.limits == ResourceLimits(cpus=0.5, memory_bytes=512 * MIB)
    assert options.limits.docker_kwargs() == {"nano_cpus": 5 * 10**8, "mem_limit": 512 * MIB}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coworld-memory=lots"], "--coworld-memory: a memory size is at least 6m, such as 512m or 2g"),
        (["--coworld-memory=1k"], "not '1k'"),
        (["--coworld-cpus=many"], "--coworld-cpus must be a number (CPUS), not 'many'"),
        (["--coworld-cpus=0"], "--coworld-cpus must be positive"),
    ],
    ids=["memory-not-a-size", "memory-below-docker-minimum", "cpus-not-a-number", "cpus-zero"],
)
def test_a_bad_limit_is_a_usage_error(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    with pytest.raises(pytest.UsageError) as raised:
        _options(pytester, *args)
    assert message in str(raised.value)
