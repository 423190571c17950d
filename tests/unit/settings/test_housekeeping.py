"""Retention and tracing settings: their defaults and how the environment sets them."""

from __future__ import annotations

import pytest

from swarmstack.errors import InvalidInput
from swarmstack.settings import load_layers


def test_defaults_keep_a_week_vacuum_at_200_dead_tuples_and_trace_nothing() -> None:
    settings = load_layers(None, None, environ={}).settings
    assert settings.retention.succeeded == 7 * 86400.0
    assert settings.retention.vacuum_rows == 200
    assert settings.tracing.enabled is False
    assert settings.tracing.service_name == "swarmstack"


def test_the_environment_turns_tracing_on_and_sets_retention() -> None:
    loaded = load_layers(
        None,
        None,
        environ={
            "SWARMSTACK_TRACING__ENABLED": "true",
            "SWARMSTACK_TRACING__SERVICE_NAME": "billing-swarms",
            "SWARMSTACK_RETENTION__VACUUM_ROWS": "0",
        },
    )
    assert loaded.settings.tracing.enabled is True
    assert loaded.settings.tracing.service_name == "billing-swarms"
    assert loaded.settings.retention.vacuum_rows == 0
    assert loaded.sources["tracing.enabled"] == "environment SWARMSTACK_TRACING__ENABLED"


def test_a_bad_value_names_the_setting() -> None:
    with pytest.raises(InvalidInput, match="vacuum_rows"):
        load_layers(None, None, environ={"SWARMSTACK_RETENTION__VACUUM_ROWS": "-1"})
