"""Unit tests for improveflow.links: signed, expiring, single-purpose links for emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from improveflow.clock import FrozenClock
from improveflow.exceptions import (
    ConfigurationError,
    ImproveflowError,
    LinkError,
    LinkExpired,
    LinkInvalid,
)
from improveflow.links import LinkSigner
from improveflow.services.link_scope import LinkScope, UnreadableScope, stored_scope

SECRET = "a-test-secret-of-sufficient-length"
BASE = "https://plans.council.example"
ISSUED = datetime(2015, 7, 24, 9, 0, tzinfo=UTC)
FORTNIGHT = timedelta(days=14)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(ISSUED)


@pytest.fixture
def signer(clock: FrozenClock) -> LinkSigner:
    return LinkSigner(SECRET, BASE, FORTNIGHT, clock=clock)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


# Round trips -------------------------------------------------------------------------------------


def test_action_link_points_at_the_action_and_verifies(signer: LinkSigner) -> None:
    """An action link names the action in its path and its token carries person and action."""
    url = signer.action_link(4, 17)
    assert url.startswith(f"{BASE}/actions/17?token=")
    payload = signer.verify(token_of(url), "action", ISSUED)
    assert payload["person"] == 4
    assert payload["action"] == 17


def test_approval_link_points_at_the_request_and_verifies(signer: LinkSigner) -> None:
    """An approval link names the request and verifies for the approval purpose."""
    url = signer.approval_link(3, 31)
    assert url.startswith(f"{BASE}/approvals/31?token=")
    payload = signer.verify(token_of(url), "approval", ISSUED)
    assert (payload["person"], payload["request"]) == (3, 31)


def test_preferences_and_sign_in_links_carry_the_person(signer: LinkSigner) -> None:
    """Preferences and sign-in links go to their pages and carry only the person."""
    preferences = signer.preferences_link(5)
    sign_in = signer.sign_in_link(5)
    assert preferences.startswith(f"{BASE}/preferences?token=")
    assert sign_in.startswith(f"{BASE}/sign-in?token=")
    assert signer.verify(token_of(preferences), "preferences", ISSUED)["person"] == 5
    assert signer.verify(token_of(sign_in), "sign_in", ISSUED)["person"] == 5


def test_timetable_link_points_at_the_milestones_form_and_names_its_plan(
    signer: LinkSigner,
) -> None:
    """A timetable link goes to its milestone's form of its plan (the kind spelt as the address
    spells it) and carries the person, the plan and the milestone, for its own purpose only."""
    url = signer.timetable_link(6, 9, "progress_review_report")
    assert url.startswith(f"{BASE}/plans/9/timetable/progress-review-report?token=")
    payload = signer.verify(token_of(url), "timetable", ISSUED)
    assert (payload["person"], payload["plan"], payload["milestone"]) == (
        6,
        9,
        "progress_review_report",
    )
    with pytest.raises(LinkInvalid):
        signer.verify(token_of(url), "sign_in", ISSUED)


def test_unsubscribe_link_has_its_own_address_and_purpose(signer: LinkSigner) -> None:
    """The List-Unsubscribe link goes to /unsubscribe and carries only the person; its token
    opens no other page, and no other page's token unsubscribes."""
    unsubscribe = signer.unsubscribe_link(5)
    assert unsubscribe.startswith(f"{BASE}/unsubscribe?token=")
    payload = signer.verify(token_of(unsubscribe), "unsubscribe", ISSUED)
    assert set(payload) == {"person", "n"}
    assert payload["person"] == 5
    for purpose in ("action", "approval", "preferences", "sign_in"):
        with pytest.raises(LinkInvalid):
            signer.verify(token_of(unsubscribe), purpose, ISSUED)
    for other in (signer.preferences_link(5), signer.sign_in_link(5)):
        with pytest.raises(LinkInvalid):
            signer.verify(token_of(other), "unsubscribe", ISSUED)


def test_every_token_carries_a_fresh_nonce(signer: LinkSigner) -> None:
    """Two links to the same page differ by their nonce, so each can be spent once."""
    first = signer.verify(token_of(signer.action_link(4, 17)), "action", ISSUED)
    second = signer.verify(token_of(signer.action_link(4, 17)), "action", ISSUED)
    assert isinstance(first["n"], str)
    assert len(first["n"]) >= 10
    assert first["n"] != second["n"]


def test_token_round_trips_any_small_payload(signer: LinkSigner) -> None:
    """A token made directly gives its payload back, plus the nonce."""
    payload = signer.verify(
        signer.token("sign_in", {"person": 9, "next": "/plans/2"}), "sign_in", ISSUED
    )
    assert payload["person"] == 9
    assert payload["next"] == "/plans/2"
    assert "n" in payload


def test_the_nonce_key_is_reserved(signer: LinkSigner) -> None:
    """A caller cannot supply its own nonce."""
    with pytest.raises(ValueError, match="reserved"):
        signer.token("action", {"n": "mine"})


def test_unknown_purposes_are_refused(signer: LinkSigner) -> None:
    """A misspelt purpose is a programming error, not a link nobody can use."""
    with pytest.raises(ValueError, match="unknown link purpose"):
        signer.token("aproval", {"person": 1})
    with pytest.raises(ValueError, match="unknown link purpose"):
        signer.verify("anything", "aproval", ISSUED)


def test_links_are_url_safe(signer: LinkSigner) -> None:
    """Tokens need no escaping in a URL or a plain-text email."""
    token = token_of(signer.approval_link(3, 31))
    assert all(ch.isalnum() or ch in "-_." for ch in token)


# Time -------------------------------------------------------------------------------------------


def test_a_link_works_until_its_maximum_age(signer: LinkSigner) -> None:
    """A link checked exactly fourteen days after it was made still works."""
    token = token_of(signer.action_link(4, 17))
    assert signer.verify(token, "action", ISSUED + FORTNIGHT)["action"] == 17


def test_a_link_expires_after_its_maximum_age(signer: LinkSigner) -> None:
    """One second past fourteen days the link has expired, with a message saying what to do."""
    token = token_of(signer.action_link(4, 17))
    with pytest.raises(LinkExpired) as caught:
        signer.verify(token, "action", ISSUED + FORTNIGHT + timedelta(seconds=1))
    assert "expired" in caught.value.message
    assert "14 days" in caught.value.message
    assert f"{BASE}/sign-in" in caught.value.message


def test_signing_follows_the_injected_clock(clock: FrozenClock, signer: LinkSigner) -> None:
    """A link made after the clock moves on lives fourteen days from then, not from before."""
    earlier = token_of(signer.action_link(4, 17))
    clock.advance(timedelta(days=10))
    token = token_of(signer.action_link(4, 17))
    later = ISSUED + timedelta(days=10) + FORTNIGHT
    assert signer.verify(token, "action", later)["action"] == 17
    with pytest.raises(LinkExpired):
        signer.verify(token, "action", later + timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        signer.verify(earlier, "action", ISSUED + FORTNIGHT + timedelta(seconds=1))


def test_sign_in_links_have_their_own_shorter_life(clock: FrozenClock) -> None:
    """Sign-in links last `sign_in_max_age`; the others keep the general maximum age."""
    signer = LinkSigner(SECRET, BASE, FORTNIGHT, clock=clock, sign_in_max_age=timedelta(hours=1))
    sign_in = token_of(signer.sign_in_link(4))
    action = token_of(signer.action_link(4, 17))
    assert signer.verify(sign_in, "sign_in", ISSUED + timedelta(hours=1))["person"] == 4
    with pytest.raises(LinkExpired, match="Sign-in links last 1 hour"):
        signer.verify(sign_in, "sign_in", ISSUED + timedelta(hours=1, seconds=1))
    assert signer.verify(action, "action", ISSUED + timedelta(days=13))["action"] == 17
    longer = LinkSigner(SECRET, BASE, timedelta(hours=1), clock=clock, sign_in_max_age=FORTNIGHT)
    assert longer.max_age("sign_in") == timedelta(hours=1)  # never longer than the others


def test_expiry_message_names_hours_for_a_short_maximum_age(clock: FrozenClock) -> None:
    """A maximum age that is not whole days is described in hours."""
    signer = LinkSigner(SECRET, BASE, timedelta(hours=36), clock=clock)
    token = token_of(signer.sign_in_link(5))
    with pytest.raises(LinkExpired, match="36 hours"):
        signer.verify(token, "sign_in", ISSUED + timedelta(hours=37))


def test_a_small_clock_difference_between_machines_is_tolerated(signer: LinkSigner) -> None:
    """A link checked on a machine whose clock is a minute behind still works."""
    token = token_of(signer.action_link(4, 17))
    assert signer.verify(token, "action", ISSUED - timedelta(minutes=1))["action"] == 17


def test_a_link_dated_well_in_the_future_is_refused(signer: LinkSigner) -> None:
    """A link stamped a day ahead of the checker's clock would outlive its age, so it is refused."""
    token = token_of(signer.action_link(4, 17))
    with pytest.raises(LinkInvalid, match="future"):
        signer.verify(token, "action", ISSUED - timedelta(days=1))


def test_verify_needs_an_aware_moment(signer: LinkSigner) -> None:
    """A naive `now` is refused rather than guessed at."""
    token = token_of(signer.action_link(4, 17))
    with pytest.raises(ValueError, match="time zone"):
        signer.verify(token, "action", datetime(2015, 7, 24, 9, 0))


# Tampering -------------------------------------------------------------------------------------


def test_a_changed_payload_is_refused(signer: LinkSigner) -> None:
    """Editing the token's payload (to another action) breaks the signature."""
    other = token_of(signer.action_link(4, 18))
    token = token_of(signer.action_link(4, 17))
    forged = other.split(".")[0] + "." + ".".join(token.split(".")[1:])
    with pytest.raises(LinkInvalid):
        signer.verify(forged, "action", ISSUED)


def test_a_changed_signature_is_refused(signer: LinkSigner) -> None:
    """Changing one character of the signature makes the link invalid."""
    token = token_of(signer.action_link(4, 17))
    # Not the last character: some of its bits are padding, so changing it may change nothing.
    index = len(token) - 5
    changed = "A" if token[index] != "A" else "B"
    with pytest.raises(LinkInvalid):
        signer.verify(token[:index] + changed + token[index + 1 :], "action", ISSUED)


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c", "e30.AAAA.AAAA"])
def test_garbage_is_refused(signer: LinkSigner, token: str) -> None:
    """Truncated or made-up tokens are invalid links, not crashes."""
    with pytest.raises(LinkInvalid):
        signer.verify(token, "action", ISSUED)


def test_a_token_for_one_purpose_is_refused_for_another(signer: LinkSigner) -> None:
    """An action link's token cannot open the approval page or sign anybody in."""
    token = token_of(signer.action_link(4, 17))
    for purpose in ("approval", "preferences", "sign_in"):
        with pytest.raises(LinkInvalid):
            signer.verify(token, purpose, ISSUED)


def test_a_token_signed_with_another_key_is_refused(clock: FrozenClock) -> None:
    """Rotating the secret invalidates the links made with the old one."""
    old = LinkSigner("an-older-secret-of-some-length", BASE, FORTNIGHT, clock=clock)
    new = LinkSigner(SECRET, BASE, FORTNIGHT, clock=clock)
    with pytest.raises(LinkInvalid):
        new.verify(token_of(old.action_link(4, 17)), "action", ISSUED)


def test_link_errors_share_a_root_and_speak_plainly() -> None:
    """Both failures are LinkErrors (so a page can catch one type) with a default message."""
    assert issubclass(LinkExpired, LinkError)
    assert issubclass(LinkInvalid, LinkError)
    assert issubclass(LinkError, ImproveflowError)
    assert "new one" in LinkInvalid().message


# Configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://plans.council.example/", "https://plans.council.example/actions/17"),
        ("https://plans.council.example", "https://plans.council.example/actions/17"),
        ("http://localhost:8000/", "http://localhost:8000/actions/17"),
        ("https://www.council.example/improve/", "https://www.council.example/improve/actions/17"),
    ],
)
def test_base_url_with_or_without_a_trailing_slash(
    clock: FrozenClock, base_url: str, expected: str
) -> None:
    """A trailing slash on the base URL never doubles the slash in links."""
    signer = LinkSigner(SECRET, base_url, FORTNIGHT, clock=clock)
    assert signer.action_link(4, 17).split("?")[0] == expected
    assert not signer.base_url.endswith("/")


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://plans.council.example",
        "javascript:alert(1)",
        "plans.council.example",
        "https://",
        "https://plans.council.example/?x=1",
        "https://plans.council.example/#top",
        "https://plans council.example",
    ],
)
def test_base_url_must_be_a_plain_http_address(clock: FrozenClock, base_url: str) -> None:
    """Only an http(s) address with a host, and nothing after it, can start a link."""
    with pytest.raises(ConfigurationError, match="IMPROVEFLOW_BASE_URL"):
        LinkSigner(SECRET, base_url, FORTNIGHT, clock=clock)


def test_a_short_secret_is_refused(clock: FrozenClock) -> None:
    """A guessable key would let anyone forge links, so a short one stops start-up."""
    with pytest.raises(ConfigurationError, match="IMPROVEFLOW_SECRET_KEY"):
        LinkSigner("secret", BASE, FORTNIGHT, clock=clock)


def test_a_maximum_age_must_be_positive(clock: FrozenClock) -> None:
    """Links that expire at once are a configuration mistake."""
    with pytest.raises(ConfigurationError):
        LinkSigner(SECRET, BASE, timedelta(0), clock=clock)


# What a link's session may reach ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "payload", "stored"),
    [
        ("action", {"person": 3, "action": 12}, "action:12"),
        ("approval", {"person": 3, "request": 7}, "approval:7"),
        ("preferences", {"person": 3}, "preferences"),
        ("timetable", {"person": 3, "plan": 5, "milestone": "action_plan"}, "timetable:5"),
        ("sign_in", {"person": 3}, "all"),
    ],
)
def test_each_link_kind_has_its_own_scope(
    purpose: str, payload: dict[str, int], stored: str
) -> None:
    """Only a sign-in link's session reaches everything; each other link's, its own page."""
    scope = LinkScope.for_link(purpose, payload)
    assert stored_scope(scope) == stored
    assert LinkScope.from_stored(stored) == scope


@pytest.mark.parametrize(
    "stored",
    ["", "everything", "action", "action:", "action:x", "prefs", "timetable", "timetable:-1"],
)
def test_a_scope_that_cannot_be_read_reaches_nothing(stored: str) -> None:
    """A stored scope this version does not know is refused, never read as a whole session."""
    with pytest.raises(UnreadableScope):
        LinkScope.from_stored(stored)


@pytest.mark.parametrize(
    ("purpose", "payload"),
    [
        ("action", {"person": 3}),
        ("approval", {"person": 3, "request": "7"}),
        ("timetable", {"person": 3, "milestone": "action_plan"}),
        ("unsubscribe", {}),
    ],
)
def test_a_link_that_names_no_page_starts_no_session(purpose: str, payload: dict[str, Any]) -> None:
    """An action, approval or timetable link without its record, or an unsubscribe link, has
    no scope."""
    with pytest.raises(LinkInvalid):
        LinkScope.for_link(purpose, payload)
