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


def test_the_reply_address_is_a_plain_mailbox() -> None:
    """IMPROVEFLOW_REPLY_ADDRESS is the mailbox itself: improveflow adds '+TOKEN' to it, so one
    with a '+' already, a name or a line break is refused when settings load."""
    assert load_settings(reply_address=" improvement@council.example ").reply_address == (
        "improvement@council.example"
    )
    assert load_settings(reply_address="").reply_address is None
    for value in ("improvement+x@council.example", "Team <a@b.example>", "a@b.example\nBcc: c"):
        with pytest.raises(ValidationError, match="IMPROVEFLOW_REPLY_ADDRESS"):
            load_settings(reply_address=value)


def test_the_councils_mail_servers_are_a_comma_separated_list() -> None:
    """IMPROVEFLOW_REPLY_AUTHSERV_IDS names the servers whose Authentication-Results count."""
    settings = load_settings(reply_authserv_ids=" mx.council.example, ,spf.protection.outlook.com")
    assert settings.authserv_ids == ["mx.council.example", "spf.protection.outlook.com"]
    assert load_settings().authserv_ids == []
