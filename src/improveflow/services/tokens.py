"""Email links spent once to sign in, the web sessions they start, and who is signed in.

A link from an email (sign-in, action, approval or preferences) is checked with the LinkSigner;
the first use records its nonce in `used_link` and starts a session, in one transaction, so the
same link can never be used twice. Only a sign-in link starts a whole session; any other link's
session reaches the one page it was for (services.link_scope). The browser keeps only a random
session key; the table keeps its SHA-256, the person, the session's CSRF token, its scope and
when it ends.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from improveflow import audit, exceptions, store
from improveflow.calendar import as_london
from improveflow.links import LinkSigner, describe_age
from improveflow.models import (
    Deputy,
    Membership,
    Person,
    PersonOrganisation,
    UsedLink,
    WebSession,
)
from improveflow.services.context import Context
from improveflow.services.link_scope import LinkScope, UnreadableScope, stored_scope
from improveflow.store import table_of
from improveflow.stores import outbox

# A session started by signing in lasts a working day. A visit from any other link reaches
# one page, for an hour: time enough to do what the email asked, and no longer, should the
# browser be left open on a shared computer.
SIGN_IN_SESSION = timedelta(hours=12)
LINK_SESSION = timedelta(hours=1)
SIGN_IN_TEMPLATE = "sign_in"

_SESSION = table_of(WebSession)
_USED = table_of(UsedLink)
_PERSON = table_of(Person)
_ORG = table_of(PersonOrganisation)
_DEPUTY = table_of(Deputy)
_MEMBERSHIP = table_of(Membership)


def signer(ctx: Context) -> LinkSigner:
    """The context's link signer; ConfigurationError when no secret key is set."""
    return LinkSigner.from_settings(
        ctx.settings, ctx.clock, needed_for="to sign links and sessions"
    )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Links ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkUse:
    purpose: str
    person_id: int
    payload: dict[str, Any]


LINK_USED = (
    "This link has already been used. Each link in an email signs you in once, "
    "so that a forwarded or copied email cannot be used by someone else."
)


def check_link(ctx: Context, token: str, purpose: str) -> LinkUse:
    """Who a link is for, if it is genuine and in date (not whether it was used)."""
    payload = signer(ctx).verify(token, purpose, ctx.clock.now())
    person = payload.get("person")
    if not isinstance(person, int):
        raise exceptions.LinkInvalid(
            "This link is not addressed to anyone, so it cannot sign you in. "
            "Sign in with your email address instead."
        )
    return LinkUse(purpose=purpose, person_id=person, payload=payload)


def link_spent(ctx: Context, use: LinkUse) -> bool:
    """Whether the link was used before (checked on opening it, before its Continue button)."""
    with ctx.database.reading() as session:
        found = session.connection().execute(
            sa.select(_USED.c.nonce).where(_USED.c.nonce == str(use.payload["n"]))
        )
        return found.first() is not None


@dataclass(frozen=True)
class LinkPerson:
    """Whom a link is for, as its Continue page names them."""

    name: str
    email: str


def person_of_link(ctx: Context, use: LinkUse) -> LinkPerson:
    """The person a link is for; LinkInvalid when improveflow no longer knows them."""
    with ctx.database.reading() as session:
        found = session.connection().execute(
            sa.select(_PERSON.c.name, _PERSON.c.email).where(_PERSON.c.id == use.person_id)
        )
        row = found.first()
    if row is None:
        raise exceptions.LinkInvalid(_NO_LONGER_KNOWN)
    return LinkPerson(name=row.name, email=row.email)


_NO_LONGER_KNOWN = "This link is for someone improveflow no longer knows. Ask for a new one."


@dataclass(frozen=True)
class NewSession:
    key: str  # for the cookie only: the table keeps its hash
    person_id: int
    csrf_token: str
    expires_at: datetime


def sign_in_with_link(ctx: Context, token: str, purpose: str) -> tuple[LinkUse, NewSession]:
    """Spend the link (LinkUsed if it was spent before) and start a session for its person:
    a whole one for a sign-in link, else one that reaches only the link's own page."""
    use = check_link(ctx, token, purpose)
    scope = LinkScope.for_link(purpose, use.payload)
    now = ctx.clock.now()
    lifetime = SIGN_IN_SESSION if scope is None else LINK_SESSION
    with ctx.database.writing() as session:
        if session.get(Person, use.person_id) is None:
            raise exceptions.LinkInvalid(_NO_LONGER_KNOWN)
        if not _spend(session, str(use.payload["n"]), purpose, use.person_id, now):
            raise exceptions.LinkUsed(LINK_USED)
        new = _start(session, use.person_id, via=purpose, now=now, lifetime=lifetime, scope=scope)
        audit.append(
            session, at=now, event="signed_in", actor_id=use.person_id, data={"via": purpose}
        )
    return use, new


def spend_link(ctx: Context, token: str, purpose: str) -> LinkUse:
    """Record the link as used without starting a session (its person is signed in already).

    A link followed by someone already signed in as its person must not stay usable for
    whoever else gets hold of the email later.
    """
    use = check_link(ctx, token, purpose)
    with ctx.database.writing() as session:
        _spend(session, str(use.payload["n"]), purpose, use.person_id, ctx.clock.now())
    return use


def _spend(session: Session, nonce: str, purpose: str, person_id: int, now: datetime) -> bool:
    """Record the nonce; False when it was recorded before (the database settles any race)."""
    connection = session.connection()
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(_USED)
        .values(nonce=nonce, purpose=purpose, person_id=person_id, used_at=now)
        .on_conflict_do_nothing(index_elements=[_USED.c.nonce])
        .returning(_USED.c.nonce)
    )
    return connection.execute(statement).first() is not None


def _start(
    session: Session,
    person_id: int,
    *,
    via: str,
    now: datetime,
    lifetime: timedelta,
    scope: LinkScope | None,
) -> NewSession:
    # Old sessions and spent nonces are only kept while they could matter.
    connection = session.connection()
    connection.execute(sa.delete(_SESSION).where(_SESSION.c.expires_at < now))
    key = secrets.token_urlsafe(32)
    new = NewSession(
        key=key,
        person_id=person_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + lifetime,
    )
    connection.execute(
        sa.insert(_SESSION),
        {
            "key_hash": _hash(key),
            "person_id": person_id,
            "csrf_token": new.csrf_token,
            "via": via,
            "scope": stored_scope(scope),
            "created_at": now,
            "expires_at": new.expires_at,
        },
    )
    return new


def start_session(ctx: Context, person_id: int, *, via: str = "sign_in") -> NewSession:
    """A whole session for `person_id` without a link (for tests, benchmarks and the demo)."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        return _start(session, person_id, via=via, now=now, lifetime=SIGN_IN_SESSION, scope=None)


def forget_used_links(ctx: Context) -> int:
    """Delete the nonces of links now too old to verify anyway; returns how many."""
    older = ctx.clock.now() - timedelta(days=ctx.settings.link_max_age_days + 1)
    with ctx.database.writing() as session:
        result = session.connection().execute(sa.delete(_USED).where(_USED.c.used_at < older))
    return int(result.rowcount)


def end_session(ctx: Context, key: str) -> None:
    with ctx.database.writing() as session:
        session.connection().execute(sa.delete(_SESSION).where(_SESSION.c.key_hash == _hash(key)))


# Who is signed in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and everything the pages check: bodies, roles, organisation."""

    person_id: int
    name: str
    email: str
    csrf_token: str
    bodies: frozenset[str]
    roles: frozenset[str]
    organisation: str | None
    # Bodies of the members this person stands in for today (as their deputy).
    deputy_bodies: frozenset[str] = frozenset()
    # The one page a visit from a link reaches; None when signed in, which reaches every page.
    scope: LinkScope | None = None
    session_ends_at: datetime | None = None

    @property
    def actor(self) -> store.Actor:
        return store.Actor(self.person_id, self.name, self.bodies, self.roles)

    @property
    def deciding_bodies(self) -> frozenset[str]:
        return self.bodies | self.deputy_bodies


_SESSION_PERSON = (
    sa.select(
        _SESSION.c.person_id,
        _SESSION.c.csrf_token,
        _SESSION.c.scope,
        _SESSION.c.expires_at,
        _PERSON.c.name,
        _PERSON.c.email,
        _ORG.c.organisation,
    )
    .select_from(
        _SESSION.join(_PERSON, _PERSON.c.id == _SESSION.c.person_id).outerjoin(
            _ORG, _ORG.c.person_id == _PERSON.c.id
        )
    )
    .where(
        _SESSION.c.key_hash == sa.bindparam("key_hash"),
        _SESSION.c.expires_at > sa.bindparam("now", type_=_SESSION.c.expires_at.type),
    )
)
_DEPUTISING = (
    sa.select(_MEMBERSHIP.c.body)
    .select_from(_DEPUTY.join(_MEMBERSHIP, _MEMBERSHIP.c.person_id == _DEPUTY.c.member_id))
    .where(
        _DEPUTY.c.deputy_id == sa.bindparam("person_id"),
        _DEPUTY.c.starts_on <= sa.bindparam("today", type_=sa.Date),
        _DEPUTY.c.ends_on >= sa.bindparam("today", type_=sa.Date),
    )
)


def viewer_for(ctx: Context, key: str) -> Viewer | None:
    """The person signed in with session key `key`, or None when it is unknown or ended."""
    now = ctx.clock.now()
    with ctx.database.reading() as session:
        connection = session.connection()
        row = connection.execute(_SESSION_PERSON, {"key_hash": _hash(key), "now": now}).first()
        if row is None:
            return None
        try:
            scope = LinkScope.from_stored(row.scope)
        except UnreadableScope:
            return None
        actor = store.actor_by_email(session, row.email)
        today: date = as_london(now).date()
        deputising = connection.execute(
            _DEPUTISING, {"person_id": row.person_id, "today": today}
        ).scalars()
        return Viewer(
            person_id=row.person_id,
            name=row.name,
            email=row.email,
            csrf_token=row.csrf_token,
            bodies=actor.bodies,
            roles=actor.roles,
            organisation=row.organisation,
            deputy_bodies=frozenset(deputising) - actor.bodies,
            scope=scope,
            session_ends_at=row.expires_at,
        )


# Asking for a sign-in link ----------------------------------------------------------------------


def send_sign_in_link(ctx: Context, email: str) -> bool:
    """Queue a sign-in email when `email` is known; False (and nothing queued) when it is not.

    The sign-in form calls this after it has answered, so how long it takes cannot tell
    anyone whether the address is known. At most one is queued per person per minute. The
    email's link is made when it is sent, from the row's person: no live token is stored.
    """
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        try:
            person = store.person_by_email(session, email)
        except exceptions.NotFound:
            return False
        assert person.id is not None
        outbox.enqueue(
            session,
            key=f"{SIGN_IN_TEMPLATE}:{person.id}:{as_london(now):%Y%m%dT%H%M}",
            template=SIGN_IN_TEMPLATE,
            recipient_email=person.email,
            recipient_name=person.name,
            person_id=person.id,
            context={
                "person_id": person.id,
                "requested_at": now.isoformat(),
                "link_lasts": describe_age(signer(ctx).max_age("sign_in")),
            },
            due_at=now,
            now=now,
        )
        return True
