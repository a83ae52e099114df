"""How many sign-in links the form sends in an hour: per address, per client, and overall.

The form is open to anyone, so without limits it could fill someone's inbox, get improveflow's
mailbox throttled, or try addresses at speed. Every request is counted whether or not its
address is known, so being refused says nothing about who works here. Only keyed hashes of
the address and the client are kept, and only for the hour they count.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from improveflow import exceptions, store
from improveflow.config import Settings
from improveflow.models import SignInRequest
from improveflow.services.context import Context
from improveflow.store import table_of

WINDOW = timedelta(hours=1)

_REQUESTS = table_of(SignInRequest)


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
    address_key = _keyed(ctx, "address", store.normalise_email(address))
    client_key = _keyed(ctx, "client", client)
    counted = _REQUESTS.c.asked_at > since
    checks = (
        (Limit.ADDRESS, limits.per_address, _REQUESTS.c.address_key == address_key),
        (Limit.CLIENT, limits.per_client, _REQUESTS.c.client_key == client_key),
        (Limit.OVERALL, limits.overall, sa.true()),
    )
    with ctx.database.writing() as session:
        connection = session.connection()
        # Requests older than the hour no longer count for anything.
        connection.execute(sa.delete(_REQUESTS).where(_REQUESTS.c.asked_at <= since))
        for limit, allowed, condition in checks:
            found = connection.execute(
                sa.select(sa.func.count(), sa.func.min(_REQUESTS.c.asked_at)).where(
                    counted, condition
                )
            ).one()
            if found[0] >= allowed:
                return Refusal(limit=limit, allowed=allowed, room_at=found[1] + WINDOW)
        connection.execute(
            sa.insert(_REQUESTS),
            {"address_key": address_key, "client_key": client_key, "asked_at": now},
        )
    return None


def _keyed(ctx: Context, kind: str, value: str) -> str:
    secret = ctx.settings.secret_key
    if not secret:
        raise exceptions.ConfigurationError("IMPROVEFLOW_SECRET_KEY must be set to sign people in")
    message = f"improveflow.sign-in.{kind}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
