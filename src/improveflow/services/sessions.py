"""Web sessions: a signed-in browser, whom it is signed in as, and what it may reach.

The browser keeps only a random session key; the table keeps its SHA-256, the person, the
session's CSRF token, its scope (everything, or the one page a link was for: services.link_scope)
and when it ends. A session started by signing in lasts a working day; one started from any
other link in an email reaches its one page for an hour (services.sign_in starts both).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from improveflow.calendar import as_london
from improveflow.services.context import Context
from improveflow.services.link_scope import LinkScope, UnreadableScope, stored_scope
from improveflow.stores import people
from improveflow.stores import sessions as stored_sessions
from improveflow.stores.people import Actor
from improveflow.stores.protocols import WebSessionStore

# A session started by signing in lasts a working day. A visit from any other link reaches
# one page, for an hour: time enough to do what the email asked, and no longer, should the
# browser be left open on a shared computer.
SIGN_IN_SESSION = timedelta(hours=12)
LINK_SESSION = timedelta(hours=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    key: str  # for the cookie only: the table keeps its hash
    person_id: int
    csrf_token: str
    expires_at: datetime


def start(
    session: Session,
    person_id: int,
    *,
    via: str,
    now: datetime,
    lifetime: timedelta,
    scope: LinkScope | None,
    store: WebSessionStore = stored_sessions,
) -> NewSession:
    """A new session for `person_id` in the caller's transaction, reaching `scope` (None:
    everything) for `lifetime`; `via` is the link purpose that started it. `store` keeps it
    (the database's, unless a test hands in a fake)."""
    store.forget_ended(session, now)
    key = secrets.token_urlsafe(32)
    new = NewSession(
        key=key,
        person_id=person_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + lifetime,
    )
    store.add_session(
        session,
        stored_sessions.StoredSession(
            key_hash=_hash(key),
            person_id=person_id,
            csrf_token=new.csrf_token,
            via=via,
            scope=stored_scope(scope),
            created_at=now,
            expires_at=new.expires_at,
        ),
    )
    return new


def start_session(ctx: Context, person_id: int, *, via: str = "sign_in") -> NewSession:
    """A whole session for `person_id` without a link (for tests, benchmarks and the demo)."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        return start(session, person_id, via=via, now=now, lifetime=SIGN_IN_SESSION, scope=None)


def end_session(ctx: Context, key: str) -> None:
    with ctx.database.writing() as session:
        stored_sessions.end_session(session, _hash(key))


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
    def actor(self) -> Actor:
        return Actor(self.person_id, self.name, self.bodies, self.roles)

    @property
    def deciding_bodies(self) -> frozenset[str]:
        return self.bodies | self.deputy_bodies


def viewer_for(ctx: Context, key: str) -> Viewer | None:
    """The person signed in with session key `key`, or None when it is unknown or ended."""
    now = ctx.clock.now()
    with ctx.database.reading() as session:
        found = stored_sessions.signed_in(session, _hash(key), now)
        if found is None:
            return None
        try:
            scope = LinkScope.from_stored(found.scope)
        except UnreadableScope:
            return None
        actor = people.actor_by_email(session, found.email)
        today: date = as_london(now).date()
        deputising = people.bodies_deputised(session, found.person_id, today)
        return Viewer(
            person_id=found.person_id,
            name=found.name,
            email=found.email,
            csrf_token=found.csrf_token,
            bodies=actor.bodies,
            roles=actor.roles,
            organisation=found.organisation,
            deputy_bodies=frozenset(deputising) - actor.bodies,
            scope=scope,
            session_ends_at=found.expires_at,
        )
