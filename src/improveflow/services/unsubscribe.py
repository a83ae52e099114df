"""One-click unsubscribe (RFC 8058): the List-Unsubscribe link's token, and the change it makes.

Unsubscribing sends a person's reminders and requests for progress together in one email a
day (the daily digest), the fewest improveflow sends. Escalations, requests for their approval
and decisions on their requests still come at once: someone is waiting for them, so no setting
turns those off, as the preferences page says.

The token authorises that one change for its person and nothing else: it opens no session, no
other page takes it, and using it again changes nothing more, so it is not spent (mail
providers may send the POST more than once).
"""

from __future__ import annotations

from dataclasses import dataclass

from improveflow import exceptions
from improveflow.services import people, sign_in
from improveflow.services.context import Context
from improveflow.stores import people as people_store

PURPOSE = "unsubscribe"
# What unsubscribing chooses: one of people.DELIVERY_CHOICES.
FEWEST_EMAILS = "daily_digest"
ONE_CLICK = "One-Click"  # the value of the List-Unsubscribe field an RFC 8058 POST sends


@dataclass(frozen=True)
class Subscriber:
    """Who an unsubscribe link is for, and whether they already get the fewest emails."""

    person_id: int
    name: str
    email: str
    unsubscribed: bool


def subscriber(ctx: Context, token: str, purpose: str = PURPOSE) -> Subscriber:
    """The person `token` is for. Raises LinkInvalid or LinkExpired for a link that is not
    genuine, not for this purpose, out of date, or for someone no longer known."""
    use = sign_in.check_link(ctx, token, purpose)
    with ctx.database.reading() as session:
        try:
            person = people_store.person_by_id(session, use.person_id)
        except exceptions.NotFound:
            raise exceptions.LinkInvalid(
                "This link is for someone improveflow no longer knows, so there is nothing "
                "to unsubscribe."
            ) from None
        return Subscriber(
            person_id=use.person_id,
            name=person.name,
            email=person.email,
            unsubscribed=person.reminder_delivery == FEWEST_EMAILS,
        )


def unsubscribe(ctx: Context, token: str, purpose: str = PURPOSE) -> Subscriber:
    """Choose the daily digest for the token's person; their state before the change.

    A second use finds them unsubscribed already and records nothing more.
    """
    found = subscriber(ctx, token, purpose)
    if not found.unsubscribed:
        people.set_delivery(ctx, found.email, FEWEST_EMAILS)
    return found
