"""Signing in, as stored: email links already spent, the web sessions (signed-in browsers)
they start, the sign-in links asked for in the last hour, and the requests a link's session may
reach.

Only hashes are kept of what a browser or a request carries: a session's key, the address and
client that asked for a link. Whoever computes them (the services) decides how.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from improveflow.models import (
    ApprovalRequest,
    Person,
    PersonOrganisation,
    SignInRequest,
    UsedLink,
    WebSession,
)
from improveflow.stores.tables import table_of

_session = table_of(WebSession)
_used = table_of(UsedLink)
_person = table_of(Person)
_person_org = table_of(PersonOrganisation)
_asked = table_of(SignInRequest)
_request = table_of(ApprovalRequest)


# Links spent ------------------------------------------------------------------------------------


def _spend_statement(dialect: str) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_used)
        .values(
            nonce=sa.bindparam("nonce"),
            purpose=sa.bindparam("purpose"),
            person_id=sa.bindparam("person_id"),
            used_at=sa.bindparam("used_at", type_=_used.c.used_at.type),
        )
        .on_conflict_do_nothing(index_elements=[_used.c.nonce])
        .returning(_used.c.nonce)
    )


_SPEND = {name: _spend_statement(name) for name in ("sqlite", "postgresql")}
_SPENT = sa.select(_used.c.nonce).where(_used.c.nonce == sa.bindparam("nonce"))
_FORGET_USED = sa.delete(_used).where(
    _used.c.used_at < sa.bindparam("before", type_=_used.c.used_at.type)
)


def spend(session: Session, *, nonce: str, purpose: str, person_id: int, now: datetime) -> bool:
    """Record a link's nonce as used; False when it was recorded before (the database settles
    any race between two browsers)."""
    connection = session.connection()
    found = connection.execute(
        _SPEND[connection.dialect.name],
        {"nonce": nonce, "purpose": purpose, "person_id": person_id, "used_at": now},
    )
    return found.first() is not None


def is_spent(session: Session, nonce: str) -> bool:
    """Whether a link with this nonce was used before."""
    return session.connection().execute(_SPENT, {"nonce": nonce}).first() is not None


def forget_spent_before(session: Session, before: datetime) -> int:
    """Delete the nonces of links used before `before`; how many."""
    return int(session.connection().execute(_FORGET_USED, {"before": before}).rowcount)


# Web sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSession:
    """A web session as recorded, but for its key (only the key's hash is stored)."""

    key_hash: str
    person_id: int
    csrf_token: str
    via: str
    scope: str
    created_at: datetime
    expires_at: datetime


_AT = sa.bindparam("now", type_=_session.c.expires_at.type)
_FORGET_ENDED = sa.delete(_session).where(_session.c.expires_at < _AT)
_START = sa.insert(_session)
_END = sa.delete(_session).where(_session.c.key_hash == sa.bindparam("key_hash"))


def forget_ended(session: Session, now: datetime) -> None:
    """Delete the sessions that ended before `now`: they are only kept while they could matter."""
    session.connection().execute(_FORGET_ENDED, {"now": now})


def add_session(session: Session, stored: StoredSession) -> None:
    session.connection().execute(
        _START,
        {
            "key_hash": stored.key_hash,
            "person_id": stored.person_id,
            "csrf_token": stored.csrf_token,
            "via": stored.via,
            "scope": stored.scope,
            "created_at": stored.created_at,
            "expires_at": stored.expires_at,
        },
    )


def end_session(session: Session, key_hash: str) -> None:
    session.connection().execute(_END, {"key_hash": key_hash})


@dataclass(frozen=True)
class SignedIn:
    """A live session and its person, as every page reads them."""

    person_id: int
    csrf_token: str
    scope: str
    expires_at: datetime
    name: str
    email: str
    organisation: str | None


# Run on every page: built once.
_SIGNED_IN = (
    sa.select(
        _session.c.person_id,
        _session.c.csrf_token,
        _session.c.scope,
        _session.c.expires_at,
        _person.c.name,
        _person.c.email,
        _person_org.c.organisation,
    )
    .select_from(
        _session.join(_person, _person.c.id == _session.c.person_id).outerjoin(
            _person_org, _person_org.c.person_id == _person.c.id
        )
    )
    .where(_session.c.key_hash == sa.bindparam("key_hash"), _session.c.expires_at > _AT)
)


def signed_in(session: Session, key_hash: str, now: datetime) -> SignedIn | None:
    """The session with this key hash and its person, unless it is unknown or ended by `now`."""
    row = session.connection().execute(_SIGNED_IN, {"key_hash": key_hash, "now": now}).first()
    return None if row is None else SignedIn(*row)


# Sign-in links asked for ------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """How many sign-in links were asked for since a moment, and the earliest of them."""

    count: int
    earliest: datetime | None


_SINCE = sa.bindparam("since", type_=_asked.c.asked_at.type)
_FORGET_ASKED = sa.delete(_asked).where(
    _asked.c.asked_at <= sa.bindparam("until", type_=_asked.c.asked_at.type)
)
_ASKED = sa.select(sa.func.count(), sa.func.min(_asked.c.asked_at)).where(
    _asked.c.asked_at > _SINCE
)
_ASKED_FOR_ADDRESS = _ASKED.where(_asked.c.address_key == sa.bindparam("key"))
_ASKED_FROM_CLIENT = _ASKED.where(_asked.c.client_key == sa.bindparam("key"))
_ASK = sa.insert(_asked)


def forget_asked_until(session: Session, until: datetime) -> None:
    """Delete the requests for links made at or before `until`: they no longer count."""
    session.connection().execute(_FORGET_ASKED, {"until": until})


def asked_for_address(session: Session, address_key: str, since: datetime) -> Asked:
    """Links asked for the address with this keyed hash after `since`."""
    return Asked(
        *session.connection()
        .execute(_ASKED_FOR_ADDRESS, {"since": since, "key": address_key})
        .one()
    )


def asked_from_client(session: Session, client_key: str, since: datetime) -> Asked:
    """Links asked for by the client with this keyed hash after `since`."""
    return Asked(
        *session.connection().execute(_ASKED_FROM_CLIENT, {"since": since, "key": client_key}).one()
    )


def asked_overall(session: Session, since: datetime) -> Asked:
    """Links asked for by anyone after `since`."""
    return Asked(*session.connection().execute(_ASKED, {"since": since}).one())


def add_asked(session: Session, *, address_key: str, client_key: str, at: datetime) -> None:
    """Count one request for a link."""
    session.connection().execute(
        _ASK, {"address_key": address_key, "client_key": client_key, "asked_at": at}
    )


# What a link's session reaches ------------------------------------------------------------------


_OF_ACTION = (
    sa.select(sa.func.count())
    .select_from(_request)
    .where(
        _request.c.id.in_(sa.bindparam("request_ids", expanding=True)),
        _request.c.action_id == sa.bindparam("action_id"),
    )
)


def count_requests_of_action(session: Session, action_id: int, request_ids: Collection[int]) -> int:
    """How many of the requests `request_ids` (distinct ids) were made on action `action_id`."""
    found = session.connection().execute(
        _OF_ACTION, {"action_id": action_id, "request_ids": sorted(request_ids)}
    )
    return int(found.scalar_one())
