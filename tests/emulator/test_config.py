"""EmulatorConfig: the master secret stays out of its repr, impossible values are refused."""

from __future__ import annotations

from typing import Any

import pytest
from support.constants import APP_KEY, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig


def test_config_repr_hides_the_master_secret():
    config = EmulatorConfig(APP_KEY, MASTER_SECRET)
    assert MASTER_SECRET not in repr(config)
    assert APP_KEY in repr(config)


@pytest.mark.parametrize(
    "changes",
    [{"fail_rate": 1.5}, {"latency_ms": -1}, {"qps": 0}, {"app_key": ""}, {"page_size": 0}],
)
def test_config_refuses_impossible_values(changes):
    values: dict[str, Any] = {"app_key": APP_KEY, "master_secret": MASTER_SECRET, **changes}
    with pytest.raises(ValueError):
        EmulatorConfig(**values)
