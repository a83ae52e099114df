"""The mail check against real loopback services: it passes when mail would go, and each known
failure stops it at the right step with an explanation naming what IT should change."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from improveflow.config import Settings, load_settings
from improveflow.testing.mail_apis import (
    GraphServer,
    NotifyServer,
    OAuthSmtpServer,
    TokenEndpoint,
    loopback_tls,
)
from improveflow.testing.smtp import free_port
from improveflow.transports.base import Cause
from improveflow.transports.check import CheckReport, Step, check_mail

MAILBOX = "plans@council.example"
OUTSIDER = "dana@council.example"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as server:
        yield server


@pytest.fixture
def exchange(
    endpoint: TokenEndpoint,
    certificate: tuple[ssl.SSLContext, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[OAuthSmtpServer]:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    with OAuthSmtpServer(endpoint, tls=certificate[0]) as server:
        yield server


def oauth_smtp(server: OAuthSmtpServer, endpoint: TokenEndpoint, **more: Any) -> Settings:
    given: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_starttls": True,
        "smtp_from": MAILBOX,
        "smtp_auth": "oauth2",
        "oauth_token_url": endpoint.token_url,
        "oauth_client_id": endpoint.client_id,
        "oauth_client_secret": endpoint.client_secret,
        "smtp_timeout_s": 5,
    } | more
    return load_settings(**given)


def graph(server: GraphServer, endpoint: TokenEndpoint) -> Settings:
    return load_settings(
        mail_transport="graph",
        graph_url=server.url,
        smtp_from=MAILBOX,
        oauth_token_url=endpoint.token_url,
        oauth_client_id=endpoint.client_id,
        oauth_client_secret=endpoint.client_secret,
    )


def notify(server: NotifyServer, key: str) -> Settings:
    return load_settings(
        mail_transport="notify",
        notify_base_url=server.url,
        notify_api_key=key,
        notify_template_id=server.template_id,
    )


def check(settings: Settings, send_test: str | None = None) -> CheckReport:
    return asyncio.run(check_mail(settings, send_test=send_test, now=NOW))


def failed(report: CheckReport) -> Step:
    """The step that failed (the last one), with its explanation and advice."""
    assert not report.ok
    step = report.steps[-1]
    assert not step.ok
    assert step.explanation is not None
    assert all(earlier.ok for earlier in report.steps[:-1])
    return step


def advice(step: Step) -> str:
    assert step.explanation is not None
    return f"{step.explanation.what} {step.explanation.fix}"


def test_working_oauth_smtp_passes_every_step(
    exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """Token, permission, login, test email: mail would go, and the test email arrived."""
    report = check(oauth_smtp(exchange, endpoint), send_test=OUTSIDER)
    assert report.ok
    assert [step.title for step in report.steps] == [
        "Access token",
        "Permission",
        "Connect and log in",
        "Test email",
    ]
    assert [got.recipients for got in exchange.received] == [(OUTSIDER,)]


def test_smtp_auth_turned_off_for_the_tenant(
    exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """5.7.139 to a good token: SMTP AUTH is off; Set-CASMailbox turns it on."""
    exchange.auth_refusal = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
        "the Tenant."
    )
    step = failed(check(oauth_smtp(exchange, endpoint)))
    assert step.cause is Cause.SMTP_AUTH_DISABLED
    assert step.detail.startswith(f"The mail server {exchange.host}:{exchange.port} refused")
    assert f"Set-CASMailbox -Identity {MAILBOX} -SmtpClientAuthenticationDisabled $false" in advice(
        step
    )


def test_a_token_exchange_will_not_take(exchange: OAuthSmtpServer, endpoint: TokenEndpoint) -> None:
    """Refused at login (535 5.7.3): the Exchange service principal and mailbox permission."""
    settings = oauth_smtp(exchange, endpoint, oauth_scope="https://graph.microsoft.com/.default")
    endpoint.roles["https://graph.microsoft.com"] = ("SMTP.SendAsApp",)  # past the role check
    step = failed(check(settings))
    assert step.cause is Cause.LOGIN_REFUSED
    assert "New-ServicePrincipal" in advice(step)
    assert "Add-MailboxPermission" in advice(step)


def test_an_unknown_app_and_tenant_are_explained(
    exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """AADSTS700016 and AADSTS90002 point at the client id and the tenant setting."""
    app = failed(check(oauth_smtp(exchange, endpoint, oauth_client_id="mistyped")))
    tenant_url = endpoint.token_url.replace(endpoint.tenant, "nowhere.example")
    tenant = failed(check(oauth_smtp(exchange, endpoint, oauth_token_url=tenant_url)))
    assert app.cause is tenant.cause is Cause.TOKEN_REFUSED
    assert "Application (client) ID" in advice(app)
    assert "Directory (tenant) ID" in advice(tenant)


def test_a_sign_in_service_that_cannot_be_reached(exchange: OAuthSmtpServer) -> None:
    """No token endpoint: the firewall must let this server reach the sign-in service."""
    url = f"http://127.0.0.1:{free_port()}/council.example/oauth2/v2.0/token"
    settings = load_settings(
        smtp_host=exchange.host,
        smtp_port=exchange.port,
        smtp_auth="oauth2",
        oauth_token_url=url,
        oauth_client_id="app",
        oauth_client_secret="s",
    )
    step = failed(check(settings))
    assert (step.title, step.cause) == ("Access token", Cause.UNREACHABLE)
    assert "login.microsoftonline.com" in advice(step)


def test_graph_mailbox_unknown_is_found_by_the_test_email(endpoint: TokenEndpoint) -> None:
    """Without --send-test Graph cannot tell; with it, a missing mailbox is explained."""
    with GraphServer(endpoint, ("someone.else@council.example",)) as server:
        untested = check(graph(server, endpoint))
        tested = check(graph(server, endpoint), send_test=OUTSIDER)
    assert untested.ok
    assert any("--send-test" in note for note in untested.notes)
    step = failed(tested)
    assert step.cause is Cause.MAILBOX_NOT_FOUND
    assert "shared mailbox" in advice(step)


def test_graph_send_as_denied_is_explained(endpoint: TokenEndpoint) -> None:
    """Graph's ErrorSendAsDenied: how to grant Send As, or send from the mailbox itself."""
    with GraphServer(endpoint, (MAILBOX,)) as server:
        server.fail_next(
            403,
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to "
            "send mail on behalf of the specified sending account., Cannot submit message.",
        )
        denied = failed(check(graph(server, endpoint), send_test=OUTSIDER))
    assert denied.cause is Cause.SEND_AS_DENIED
    assert "Add-RecipientPermission" in advice(denied)


def test_notify_trial_mode_and_an_unknown_template(endpoint: TokenEndpoint) -> None:
    """Trial mode says to go live; a template id of another service says where to copy it."""
    with NotifyServer(trial_mode=True) as server:
        trial = failed(check(notify(server, server.key("live")), send_test=OUTSIDER))
        other = notify(server, server.key("live")).model_copy(
            update={"notify_template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a"}
        )
        missing = failed(check(other))
    assert trial.cause is Cause.NOTIFY_TRIAL_MODE
    assert "make the service live" in advice(trial)
    assert missing.cause is Cause.NOTIFY_TEMPLATE_NOT_FOUND
    assert "Copy template ID" in advice(missing)


def test_notify_with_a_key_it_does_not_know(endpoint: TokenEndpoint) -> None:
    """403 AuthError: create a live key and use the whole of it."""
    with NotifyServer() as server:
        stranger = NotifyServer().key("live").split("-", 1)[0] + "-" + server.service_id
        stranger += "-" + "3d844edf-8d35-48ac-975b-e847b4f122b0"
        step = failed(check(notify(server, stranger)))
    assert step.cause is Cause.NOTIFY_KEY_INVALID
    assert "IMPROVEFLOW_NOTIFY_API_KEY" in advice(step)


def test_a_token_without_smtp_sendasapp_is_caught_before_connecting(
    exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """The token's own roles show the missing permission; SMTP is not even tried."""
    endpoint.roles["https://outlook.office365.com"] = ("User.Read.All",)
    step = failed(check(oauth_smtp(exchange, endpoint)))
    assert (step.title, step.cause) == ("Permission", Cause.PERMISSION_MISSING)
    assert "(it carries: User.Read.All)" in step.detail
    assert "SMTP.SendAsApp" in advice(step)
    assert exchange.connections == 0


def test_graph_without_mail_send_names_the_permission(endpoint: TokenEndpoint) -> None:
    """No Mail.Send: admin consent, and the mailbox scoping that can also block it."""
    endpoint.roles["https://graph.microsoft.com"] = ()
    with GraphServer(endpoint, (MAILBOX,)) as server:
        step = failed(check(graph(server, endpoint)))
    assert step.cause is Cause.PERMISSION_MISSING
    assert "Mail.Send and grant admin consent" in advice(step)
    assert "application access policy" in advice(step)


def test_smtp_send_as_denied_is_found_by_the_test_email(
    exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """Logging in works; sending as another address is refused with 5.7.60."""
    exchange.deny_send_as = True
    settings = oauth_smtp(exchange, endpoint, smtp_username="robot@council.example")
    step = failed(check(settings, send_test=OUTSIDER))
    assert (step.title, step.cause) == ("Test email", Cause.SEND_AS_DENIED)
    assert exchange.received == []


@pytest.mark.parametrize("transport", ["smtp", "graph"])
def test_throttling_says_nothing_is_lost_and_which_limit_to_set(
    transport: str, exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """4.7.500 or 429: emails wait; Microsoft 365's 30 a minute is the rate limit to set."""
    if transport == "smtp":
        exchange.defer(OUTSIDER, reply="451 4.7.500 Server busy, please try again later")
        step = failed(check(oauth_smtp(exchange, endpoint), send_test=OUTSIDER))
    else:
        with GraphServer(endpoint, (MAILBOX,)) as server:
            server.throttle(times=1, retry_after_s=20)
            step = failed(check(graph(server, endpoint), send_test=OUTSIDER))
        assert "It asked to wait 20 seconds" in advice(step)
    assert step.cause is Cause.THROTTLED
    assert "not lost" in advice(step)
    assert "IMPROVEFLOW_SMTP_RATE_LIMIT=30" in advice(step)


def test_a_mail_server_that_cannot_be_reached() -> None:
    """Nothing listening: the server named, with Microsoft 365's address and port."""
    port = free_port()
    step = failed(check(load_settings(smtp_host="127.0.0.1", smtp_port=port)))
    assert step.cause is Cause.UNREACHABLE
    assert f"The mail server 127.0.0.1:{port} could not be reached" in advice(step)
    assert "smtp.office365.com, port 587" in advice(step)


def test_working_notify_sends_and_mentions_test_keys() -> None:
    """A live key and the right template: mail would go, with a word about test keys."""
    with NotifyServer() as server:
        report = check(notify(server, server.key("live")), send_test=OUTSIDER)
        (got,) = server.received
    assert report.ok
    assert got.personalisation["subject"] == "improveflow mail check"
    assert any("test API key" in note for note in report.notes)


def test_a_notify_template_without_subject_is_explained() -> None:
    """Subject not ((subject)): nothing is sent, and the template to make is described."""
    with NotifyServer(subject="Improvement plan reminder") as server:
        step = failed(check(notify(server, server.key("live")), send_test=OUTSIDER))
        assert server.received == []
    assert step.cause is Cause.NOTIFY_TEMPLATE_WRONG
    assert "lacks ((subject)) in its subject" in step.detail
    assert "whose subject is ((subject)) and whose message is ((body))" in advice(step)
