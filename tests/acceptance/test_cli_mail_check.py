"""`improveflow mail check`, run as a council's administrator runs it, against real loopback
servers: exit 0 when mail would go, and for each known failure exit 1 with what happened and
what the council's IT team should change."""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Cli, Run

from improveflow.testing.mail_apis import (
    GraphServer,
    NotifyServer,
    OAuthSmtpServer,
    TokenEndpoint,
    loopback_tls,
)

MAILBOX = "plans@council.example"
OUTSIDER = "dana@council.example"


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
    endpoint: TokenEndpoint, certificate: tuple[ssl.SSLContext, Path]
) -> Iterator[OAuthSmtpServer]:
    with OAuthSmtpServer(endpoint, tls=certificate[0]) as server:
        yield server


@pytest.fixture
def cli(tmp_path: Path, certificate: tuple[ssl.SSLContext, Path]) -> Cli:
    """The command with no mail settings of its own; it trusts the test certificate."""
    runner = Cli(tmp_path)
    for name in list(runner.env):
        if name.startswith("IMPROVEFLOW_") and not name.startswith("IMPROVEFLOW_TEST"):
            del runner.env[name]
    runner.env.update({"SSL_CERT_FILE": str(certificate[1]), "IMPROVEFLOW_SMTP_FROM": MAILBOX})
    return runner


def oauth_smtp(cli: Cli, server: OAuthSmtpServer, endpoint: TokenEndpoint) -> Cli:
    cli.env.update(
        {
            "IMPROVEFLOW_SMTP_HOST": server.host,
            "IMPROVEFLOW_SMTP_PORT": str(server.port),
            "IMPROVEFLOW_SMTP_STARTTLS": "true",
            "IMPROVEFLOW_SMTP_AUTH": "oauth2",
            "IMPROVEFLOW_OAUTH_TOKEN_URL": endpoint.token_url,
            "IMPROVEFLOW_OAUTH_CLIENT_ID": endpoint.client_id,
            "IMPROVEFLOW_OAUTH_CLIENT_SECRET": endpoint.client_secret,
        }
    )
    return cli


def graph_cli(cli: Cli, graph: GraphServer, endpoint: TokenEndpoint) -> Cli:
    cli.env.update(
        {
            "IMPROVEFLOW_MAIL_TRANSPORT": "graph",
            "IMPROVEFLOW_GRAPH_URL": graph.url,
            "IMPROVEFLOW_OAUTH_TOKEN_URL": endpoint.token_url,
            "IMPROVEFLOW_OAUTH_CLIENT_ID": endpoint.client_id,
            "IMPROVEFLOW_OAUTH_CLIENT_SECRET": endpoint.client_secret,
        }
    )
    return cli


def notify_cli(cli: Cli, notify: NotifyServer, key: str) -> Cli:
    cli.env.update(
        {
            "IMPROVEFLOW_MAIL_TRANSPORT": "notify",
            "IMPROVEFLOW_NOTIFY_BASE_URL": notify.url,
            "IMPROVEFLOW_NOTIFY_API_KEY": key,
            "IMPROVEFLOW_NOTIFY_TEMPLATE_ID": notify.template_id,
        }
    )
    return cli


def said(run: Run) -> str:
    """The output as one line of words, however a terminal would wrap it."""
    return " ".join((run.out + run.err).split())


# SMTP ---------------------------------------------------------------------------------------------


def test_working_oauth_smtp_exits_0_and_sends_the_test(
    cli: Cli, exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """Token, SMTP.SendAsApp, STARTTLS and XOAUTH2 login, a test email: mail would go."""
    run = oauth_smtp(cli, exchange, endpoint)("mail", "check", "--send-test", OUTSIDER)
    assert "Email would go." in run.out
    assert "the token carries SMTP.SendAsApp" in said(run)
    (got,) = exchange.received
    assert got.recipients == (OUTSIDER,)
    assert got.message["Subject"] == "improveflow mail check"
    assert (got.tls, got.login) == (True, MAILBOX)


def test_basic_authentication_disabled_says_to_move_to_oauth(
    cli: Cli, exchange: OAuthSmtpServer
) -> None:
    """A password login refused with 535 5.7.139: what it means, and the way to OAuth."""
    exchange.credentials = (MAILBOX, "s3cret")
    exchange.basic_auth_disabled = True
    cli.env.update(
        {
            "IMPROVEFLOW_SMTP_HOST": exchange.host,
            "IMPROVEFLOW_SMTP_PORT": str(exchange.port),
            "IMPROVEFLOW_SMTP_STARTTLS": "true",
            "IMPROVEFLOW_SMTP_USERNAME": MAILBOX,
            "IMPROVEFLOW_SMTP_PASSWORD": "s3cret",
        }
    )
    run = cli("mail", "check", expect=1)
    words = said(run)
    assert "535 5.7.139" in words
    assert "basic authentication for SMTP is turned off" in words
    assert "IMPROVEFLOW_SMTP_AUTH=oauth2" in words
    assert "SMTP.SendAsApp" in words


def test_a_refused_client_secret_says_where_to_make_a_new_one(
    cli: Cli, exchange: OAuthSmtpServer, endpoint: TokenEndpoint
) -> None:
    """The token endpoint refuses the secret: the check says so before touching SMTP."""
    oauth_smtp(cli, exchange, endpoint).env["IMPROVEFLOW_OAUTH_CLIENT_SECRET"] = "expired"
    words = said(cli("mail", "check", expect=1))
    assert "AADSTS7000215" in words
    assert "refused the client secret" in words
    assert "Certificates & secrets" in words
    assert exchange.connections == 0


def test_settings_that_are_not_valid_are_named(cli: Cli) -> None:
    """Graph chosen without the app's details: exit 1 naming the missing settings."""
    cli.env["IMPROVEFLOW_MAIL_TRANSPORT"] = "graph"
    words = said(cli("mail", "check", expect=1))
    assert "The email settings are not valid" in words
    assert "IMPROVEFLOW_OAUTH_CLIENT_ID" in words


# Graph --------------------------------------------------------------------------------------------


def test_working_graph_sends_the_test(cli: Cli, endpoint: TokenEndpoint) -> None:
    """Mail.Send in the token and a 202 for the test email: exit 0."""
    with GraphServer(endpoint, (MAILBOX,)) as graph:
        run = graph_cli(cli, graph, endpoint)("mail", "check", "--send-test", OUTSIDER)
        assert "Email would go." in run.out
        (got,) = graph.received
        assert got.message["To"].addresses[0].addr_spec == OUTSIDER


# Notify -------------------------------------------------------------------------------------------


def test_a_team_key_is_explained(cli: Cli) -> None:
    """A team key to someone outside the team: exit 1, use a live key."""
    with NotifyServer() as notify:
        run = notify_cli(cli, notify, notify.key("team"))(
            "mail", "check", "--send-test", OUTSIDER, expect=1
        )
    words = said(run)
    assert "'team and guest list' key" in words
    assert "Use a live key" in words


def test_json_output_for_scripts(cli: Cli) -> None:
    """--json gives each step with its cause and advice, for monitoring scripts."""
    with NotifyServer() as notify:
        stranger = NotifyServer().key("live").replace("improveflow-", "other-")
        run = notify_cli(cli, notify, stranger)("mail", "check", "--json", expect=1)
    report = json.loads(run.out)
    assert report["ok"] is False
    (step,) = report["steps"]
    assert (step["ok"], step["cause"]) == (False, "notify_key_invalid")
    assert "IMPROVEFLOW_NOTIFY_API_KEY" in step["what_to_change"]
