"""The mail transport settings: defaults that keep today's SMTP, each transport's requirements
checked on loading with the setting's name, and the values derived from them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from improveflow.config import load_settings

NOTIFY_KEY = (
    "improveflow_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
)
OAUTH = {
    "oauth_tenant": "council.onmicrosoft.com",
    "oauth_client_id": "app",
    "oauth_client_secret": "s",
}


@pytest.fixture(autouse=True)
def _no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test gives counts."""
    for name in (
        "MAIL_TRANSPORT",
        "SMTP_AUTH",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "OAUTH_TENANT",
        "OAUTH_CLIENT_ID",
        "OAUTH_CLIENT_SECRET",
        "OAUTH_TOKEN_URL",
        "OAUTH_SCOPE",
        "OAUTH_CERTIFICATE_PATH",
        "OAUTH_CERTIFICATE_PASSWORD",
        "NOTIFY_API_KEY",
        "NOTIFY_TEMPLATE_ID",
        "NOTIFY_REPLY_TO_ID",
    ):
        monkeypatch.delenv(f"IMPROVEFLOW_{name}", raising=False)


def test_smtp_logs_in_as_today_by_default() -> None:
    """Without IMPROVEFLOW_SMTP_AUTH: a password login when a username is set, else none."""
    assert load_settings().mail_transport == "smtp"
    assert load_settings().smtp_login == "none"
    assert load_settings(smtp_username="u", smtp_password="p").smtp_login == "password"
    assert not load_settings(smtp_username="u", smtp_password="p").uses_oauth


def test_oauth_defaults_to_microsoft_for_the_tenant_and_the_service_s_scope() -> None:
    """The token URL is Microsoft's v2.0 endpoint for the tenant; the scope suits the transport."""
    smtp = load_settings(smtp_auth="oauth2", **OAUTH)
    graph = load_settings(mail_transport="graph", **OAUTH)
    expected = "https://login.microsoftonline.com/council.onmicrosoft.com/oauth2/v2.0/token"
    assert smtp.oauth_token_endpoint == expected
    assert smtp.oauth_token_scope == "https://outlook.office365.com/.default"
    assert graph.oauth_token_scope == "https://graph.microsoft.com/.default"
    moved = load_settings(smtp_auth="oauth2", oauth_token_url="http://127.0.0.1:9/t/", **OAUTH)
    assert moved.oauth_token_endpoint == "http://127.0.0.1:9/t"


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"smtp_auth": "password"}, "IMPROVEFLOW_SMTP_PASSWORD"),
        ({"smtp_auth": "oauth2", "oauth_client_id": "app"}, "IMPROVEFLOW_OAUTH_CLIENT_SECRET"),
        (
            {"mail_transport": "graph", "oauth_client_id": "a", "oauth_client_secret": "s"},
            "IMPROVEFLOW_OAUTH_TENANT",
        ),
        (
            {"mail_transport": "notify", "notify_api_key": NOTIFY_KEY},
            "IMPROVEFLOW_NOTIFY_TEMPLATE_ID",
        ),
        (
            {
                "mail_transport": "notify",
                "notify_api_key": "abc",
                "notify_template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
            },
            "IMPROVEFLOW_NOTIFY_API_KEY",
        ),
        ({"notify_template_id": "template-one"}, "IMPROVEFLOW_NOTIFY_TEMPLATE_ID"),
        ({"graph_url": "graph.microsoft.com"}, "IMPROVEFLOW_GRAPH_URL"),
        ({"oauth_tenant": "council tenant"}, "IMPROVEFLOW_OAUTH_TENANT"),
        ({"mail_transport": "pigeon"}, "mail_transport"),
    ],
)
def test_what_a_transport_lacks_stops_the_start_naming_the_setting(
    given: dict[str, Any], named: str
) -> None:
    """A missing or malformed mail setting is refused on loading, with its variable's name."""
    with pytest.raises(ValidationError, match=named):
        load_settings(**given)


def test_a_whole_notify_key_and_ids_are_accepted() -> None:
    """A key as Notify shows it, and UUID ids, make a working notify configuration."""
    settings = load_settings(
        mail_transport="notify",
        notify_api_key=NOTIFY_KEY,
        notify_template_id="f33517ff-2a88-4f6e-b855-c550268ce08a",
        notify_reply_to_id="  ",
    )
    assert settings.notify_reply_to_id is None
    assert settings.notify_api_key is not None
    assert NOTIFY_KEY not in repr(settings)  # a secret never shows in logs
