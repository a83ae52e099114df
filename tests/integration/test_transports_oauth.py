"""Client-credentials tokens from a real token endpoint on loopback: fetched once and reused,
renewed before they expire, shared safely by tasks and threads, and refusals told precisely."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from improveflow.testing.mail_apis import GRAPH_AUDIENCE, TokenEndpoint, Verdict
from improveflow.testing.smtp import free_port
from improveflow.transports.base import Cause, Stage, TransportUnavailable
from improveflow.transports.oauth import ClientCredentials, TokenProvider, granted_roles

SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as server:
        yield server


def provider(endpoint: TokenEndpoint, *, secret: str | None = None) -> TokenProvider:
    credentials = ClientCredentials(
        endpoint.token_url, endpoint.client_id, SecretStr(secret or endpoint.client_secret)
    )
    return TokenProvider(credentials, SCOPE, timeout_s=5)


def test_one_token_serves_many_requests(endpoint: TokenEndpoint) -> None:
    """A token is fetched once and handed out until it is due renewal, never per message."""
    tokens = provider(endpoint)

    async def many() -> set[str]:
        return {await tokens.token() for _ in range(50)}

    (token,) = asyncio.run(many())
    assert endpoint.issued == 1
    assert endpoint.verify(token, GRAPH_AUDIENCE, "Mail.Send") is Verdict.VALID
    assert granted_roles(token) == frozenset({"Mail.Send"})


def test_concurrent_tasks_wait_for_one_fetch(endpoint: TokenEndpoint) -> None:
    """Twenty senders asking at once cause one request to the endpoint."""
    tokens = provider(endpoint)

    async def at_once() -> set[str]:
        return set(await asyncio.gather(*(tokens.token() for _ in range(20))))

    assert len(asyncio.run(at_once())) == 1
    assert endpoint.requests == 1


def test_threads_share_the_cached_token(endpoint: TokenEndpoint) -> None:
    """Dispatch runs in other threads (their own event loops) reuse the cached token."""
    tokens = provider(endpoint)
    first = asyncio.run(tokens.token())
    seen: list[str] = []

    def run() -> None:
        seen.append(asyncio.run(tokens.token()))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [first] * 4
    assert endpoint.issued == 1


def test_a_token_is_renewed_before_it_expires() -> None:
    """Past half a short token's life a new one is fetched, before the old one stops working."""
    with TokenEndpoint(lifetime_s=2) as endpoint:
        tokens = provider(endpoint)
        first = asyncio.run(tokens.token())
        time.sleep(1.2)
        assert endpoint.verify(first, GRAPH_AUDIENCE) is Verdict.VALID  # still good, yet...
        second = asyncio.run(tokens.token())
        assert second != first
        assert endpoint.issued == 2


def test_a_held_token_serves_while_the_endpoint_is_down_at_renewal() -> None:
    """An outage of the endpoint at renewal time does not stop mail while the token lasts."""
    with TokenEndpoint(lifetime_s=4) as endpoint:
        tokens = provider(endpoint)
        first = asyncio.run(tokens.token())
        endpoint.stop()
        time.sleep(2.2)  # past renewal (half of 4 s), before its last usable moment
        assert asyncio.run(tokens.token()) == first


def test_a_wrong_secret_is_told_with_microsoft_s_code(endpoint: TokenEndpoint) -> None:
    """invalid_client with AADSTS7000215: the failure names it for the explanation."""
    tokens = provider(endpoint, secret="an-old-secret")
    with pytest.raises(TransportUnavailable) as raised:
        asyncio.run(tokens.token())
    failure = raised.value
    assert (failure.stage, failure.cause, failure.status) == (
        Stage.TOKEN,
        Cause.TOKEN_REFUSED,
        401,
    )
    assert failure.code == "AADSTS7000215"
    assert "invalid_client" in failure.reason
    assert "Trace ID" not in failure.reason


def test_an_unknown_app_and_an_unknown_tenant_are_told_apart(endpoint: TokenEndpoint) -> None:
    """The app (AADSTS700016) and the tenant (AADSTS90002) have their own codes."""
    app = TokenProvider(
        ClientCredentials(endpoint.token_url, "someone-else", SecretStr("x")), SCOPE
    )
    tenant_url = endpoint.token_url.replace(endpoint.tenant, "other.example")
    tenant = TokenProvider(
        ClientCredentials(tenant_url, endpoint.client_id, SecretStr(endpoint.client_secret)),
        SCOPE,
    )
    with pytest.raises(TransportUnavailable) as wrong_app:
        asyncio.run(app.token())
    with pytest.raises(TransportUnavailable) as wrong_tenant:
        asyncio.run(tenant.token())
    assert wrong_app.value.code == "AADSTS700016"
    assert wrong_tenant.value.code == "AADSTS90002"


def test_an_unreachable_endpoint_is_temporary() -> None:
    """Nobody listening: the transport is unavailable for now, and says where it tried."""
    url = f"http://127.0.0.1:{free_port()}/council.example/oauth2/v2.0/token"
    tokens = TokenProvider(ClientCredentials(url, "app", SecretStr("s")), SCOPE, timeout_s=2)
    with pytest.raises(TransportUnavailable) as raised:
        asyncio.run(tokens.token())
    assert (raised.value.cause, raised.value.stage) == (Cause.UNREACHABLE, Stage.TOKEN)
    assert url in raised.value.reason


def test_invalidate_makes_the_next_call_fetch(endpoint: TokenEndpoint) -> None:
    """After a service refuses the held token, the next caller gets a new one."""
    tokens = provider(endpoint)
    first = asyncio.run(tokens.token())
    tokens.invalidate("not-the-held-one")
    assert asyncio.run(tokens.token()) == first
    tokens.invalidate(first)
    assert asyncio.run(tokens.token()) != first
    assert endpoint.issued == 2
