"""IMPROVEFLOW_SMTP_REPLY_TO: read from the environment, optional, and checked when loaded."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from improveflow.config import load_settings


def test_reply_to_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting names where replies go; unset (or blank), there is none."""
    monkeypatch.delenv("IMPROVEFLOW_SMTP_REPLY_TO", raising=False)
    assert load_settings().smtp_reply_to is None
    monkeypatch.setenv("IMPROVEFLOW_SMTP_REPLY_TO", "Improvement team <plans@council.example>")
    assert load_settings().smtp_reply_to == "Improvement team <plans@council.example>"
    monkeypatch.setenv("IMPROVEFLOW_SMTP_REPLY_TO", "  ")
    assert load_settings().smtp_reply_to is None


@pytest.mark.parametrize("value", ["improvement team", "plans@council.example\nBcc: x@y.example"])
def test_a_reply_to_that_is_not_an_address_stops_the_start(value: str) -> None:
    """A mistyped setting is refused when settings load, naming it, not at every email."""
    with pytest.raises(ValidationError, match="IMPROVEFLOW_SMTP_REPLY_TO"):
        load_settings(smtp_reply_to=value)
