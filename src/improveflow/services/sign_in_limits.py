"""How many sign-in links the form sends in an hour: per address, per client, and overall.

The form is open to anyone, so without limits it could fill someone's inbox, get improveflow's
mailbox throttled, or try addresses at speed. Every request is counted whether or not its
address is known, so being refused says nothing about who works here. Only keyed hashes of
the address and the client are kept, and only for the hour they count.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from improveflow import exceptions
from improveflow.config import Settings
from improveflow.services.context import Context
from improveflow.stores import sessions as stored_sessions
from improveflow.stores.people import normalise_email

WINDOW = timedelta(hours=1)


class Limit(StrEnum):
    ADDRESS = "address"
    CLIENT = "client"
    OVERALL = "overall"


@dataclass(frozen=True)
class SignInLimits:
    """Links the form sends in an hour: for one address, from one client, for everyone."""

    per_address: int
    per_client: int
    overall: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            per_address=settings.sign_in_links_per_address,
            per_client=settings.sign_in_links_per_client,
            overall=settings.sign_in_links_overall,
        )


@dataclass(frozen=True)
class Refusal:
    """Which limit refused a request, what it allows, and when it next has room."""

    limit: Limit
    allowed: int
    room_at: datetime


def admit(ctx: Context, address: str, client: str) -> Refusal | None:
    """Count a request for a sign-in link to `address` from `client` (an IP address), or say
    which limit refuses it; a refused request is not counted.

    The same statements run whatever the address, known or not.
    """
    limits = SignInLimits.from_settings(ctx.settings)
    now = ctx.clock.now()
    since = now - WINDOW
    address_key = _keyed(ctx, "address", normalise_email(address))
    client_key = _keyed(ctx, "client", client)
    with ctx.database.writing() as session:
        # Requests older than the hour no longer count for anything.
        stored_sessions.forget_asked_until(session, since)
        checks: tuple[tuple[Limit, int, Callable[[], stored_sessions.Asked]], ...] = (
            (
                Limit.ADDRESS,
                limits.per_address,
                lambda: stored_sessions.asked_for_address(session, address_key, since),
            ),
            (
                Limit.CLIENT,
                limits.per_client,
                lambda: stored_sessions.asked_from_client(session, client_key, since),
            ),
            (Limit.OVERALL, limits.overall, lambda: stored_sessions.asked_overall(session, since)),
        )
        for limit, allowed, asked in checks:
            found = asked()
            if found.count >= allowed:
                assert found.earliest is not None  # every limit allows at least one
                return Refusal(limit=limit, allowed=allowed, room_at=found.earliest + WINDOW)
        stored_sessions.add_asked(session, address_key=address_key, client_key=client_key, at=now)
    return None


def _keyed(ctx: Context, kind: str, value: str) -> str:
    secret = ctx.settings.secret_key
    if not secret:
        raise exceptions.ConfigurationError("IMPROVEFLOW_SECRET_KEY must be set to sign people in")
    message = f"improveflow.sign-in.{kind}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
