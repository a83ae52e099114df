"""Links in emails: signing them, checking them, and spending one to sign its person in.

A link from an email (sign-in, action, approval, preferences or unsubscribe) is signed and
checked with the LinkSigner. Following one spends it: the first use records its nonce and starts
a session (services.sessions), in one transaction, so the same link can never be used twice.
Only a sign-in link starts a whole session; any other link's session reaches the one page it
was for (services.link_scope). Asking for a sign-in link queues an email whose link is made
when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.links import LinkSigner, describe_age
from improveflow.services import sessions
from improveflow.services.context import Context
from improveflow.services.link_scope import LinkScope
from improveflow.stores import outbox, people
from improveflow.stores import sessions as stored_sessions

SIGN_IN_TEMPLATE = "sign_in"


def signer(ctx: Context) -> LinkSigner:
    """The context's link signer; ConfigurationError when no secret key is set."""
    return LinkSigner.from_settings(
        ctx.settings, ctx.clock, needed_for="to sign links and sessions"
    )


@dataclass(frozen=True)
class LinkUse:
    purpose: str
    person_id: int
    payload: dict[str, Any]

    @property
    def nonce(self) -> str:
        return str(self.payload["n"])


LINK_USED = (
    "This link has already been used. Each link in an email signs you in once, "
    "so that a forwarded or copied email cannot be used by someone else."
)
_NO_LONGER_KNOWN = "This link is for someone improveflow no longer knows. Ask for a new one."


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
        return stored_sessions.is_spent(session, use.nonce)


@dataclass(frozen=True)
class LinkPerson:
    """Whom a link is for, as its Continue page names them."""

    name: str
    email: str


def person_of_link(ctx: Context, use: LinkUse) -> LinkPerson:
    """The person a link is for; LinkInvalid when improveflow no longer knows them."""
    with ctx.database.reading() as session:
        found = people.contact_of(session, use.person_id)
    if found is None:
        raise exceptions.LinkInvalid(_NO_LONGER_KNOWN)
    return LinkPerson(name=found.name, email=found.email)


def sign_in_with_link(
    ctx: Context, token: str, purpose: str
) -> tuple[LinkUse, sessions.NewSession]:
    """Spend the link (LinkUsed if it was spent before) and start a session for its person:
    a whole one for a sign-in link, else one that reaches only the link's own page."""
    use = check_link(ctx, token, purpose)
    scope = LinkScope.for_link(purpose, use.payload)
    now = ctx.clock.now()
    lifetime = sessions.SIGN_IN_SESSION if scope is None else sessions.LINK_SESSION
    with ctx.database.writing() as session:
        if not people.is_known(session, use.person_id):
            raise exceptions.LinkInvalid(_NO_LONGER_KNOWN)
        spent = stored_sessions.spend(
            session, nonce=use.nonce, purpose=purpose, person_id=use.person_id, now=now
        )
        if not spent:
            raise exceptions.LinkUsed(LINK_USED)
        new = sessions.start(
            session, use.person_id, via=purpose, now=now, lifetime=lifetime, scope=scope
        )
        audit.record(session, recorded.SignedIn(actor_id=use.person_id, via=purpose), at=now)
    return use, new


def spend_link(ctx: Context, token: str, purpose: str) -> LinkUse:
    """Record the link as used without starting a session (its person is signed in already).

    A link followed by someone already signed in as its person must not stay usable for
    whoever else gets hold of the email later.
    """
    use = check_link(ctx, token, purpose)
    with ctx.database.writing() as session:
        stored_sessions.spend(
            session, nonce=use.nonce, purpose=purpose, person_id=use.person_id, now=ctx.clock.now()
        )
    return use


def forget_used_links(ctx: Context) -> int:
    """Delete the nonces of links now too old to verify anyway; returns how many."""
    older = ctx.clock.now() - timedelta(days=ctx.settings.link_max_age_days + 1)
    with ctx.database.writing() as session:
        return stored_sessions.forget_spent_before(session, older)


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
            person = people.person_by_email(session, email)
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
