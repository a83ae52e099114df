"""What the Notify transport takes from a built email, and what a token says it may do."""

from __future__ import annotations

import base64
import json

from improveflow.testing.mail_apis import sample_email
from improveflow.transports.notify_content import notify_content
from improveflow.transports.oauth import granted_roles


def test_notify_gets_the_subject_and_the_plain_text_with_plain_links() -> None:
    """The text part is the body, links as URLs; the one-click link comes from the headers."""
    built = sample_email(
        "plans@council.example",
        "dana@council.example",
        subject="Your action is due — 6 March",
        text="Dear Dana,\n\nUpdate this action:\nhttps://plans.council.example/actions/7\n",
    )
    content = notify_content(built)
    assert content.subject == "Your action is due — 6 March"
    assert (
        content.body == "Dear Dana,\n\nUpdate this action:\nhttps://plans.council.example/actions/7"
    )
    assert (
        content.one_click_unsubscribe_url == "https://plans.council.example/unsubscribe?token=abc"
    )


def test_no_one_click_link_without_one_click_or_https() -> None:
    """A preferences page is no one-click link, and Notify takes only https."""
    page = sample_email(
        "p@council.example",
        "d@council.example",
        unsubscribe="https://plans.council.example/preferences",
    )
    plain = sample_email(
        "p@council.example",
        "d@council.example",
        unsubscribe="http://localhost:8000/unsubscribe?token=abc",
    )
    assert notify_content(page).one_click_unsubscribe_url is None
    assert notify_content(plain).one_click_unsubscribe_url is None


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_granted_roles_read_from_a_jwt_and_nothing_from_an_opaque_token() -> None:
    """Permissions are read to explain a refusal; an unreadable token tells nothing."""
    assert granted_roles(_jwt({"roles": ["Mail.Send"]})) == frozenset({"Mail.Send"})
    assert granted_roles(_jwt({"aud": "x"})) == frozenset()
    assert granted_roles("opaque-token") is None
    assert granted_roles("a.!!!.c") is None
