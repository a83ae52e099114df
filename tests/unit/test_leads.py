"""Lead cells: split into their parts and matched against people and approving bodies."""

from __future__ import annotations

import pytest

from improveflow.importers.leads import (
    REVIEW_OWNER_UNRESOLVED,
    DirectoryEntry,
    LeadMatch,
    LeadMatcher,
    normalise_name,
    split_lead,
)


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        ("Cabinet/ Corporate Management Team", ["Cabinet", "Corporate Management Team"]),
        (
            "Head of Strategic HR/ HR Delivery Manager",
            ["Head of Strategic HR", "HR Delivery Manager"],
        ),
        (
            "HR Delivery Manager/HR Education Manager",
            ["HR Delivery Manager", "HR Education Manager"],
        ),
        ("HRMT", ["HRMT"]),
        (
            "Head of Strategic HR\nHR Delivery Manager",
            ["Head of Strategic HR", "HR Delivery Manager"],
        ),
        ("Head of Finance and Head of Policy", ["Head of Finance", "Head of Policy"]),
        ("Chief Executive & Leader", ["Chief Executive", "Leader"]),
        ("Head of Business Transformation", ["Head of Business Transformation"]),
        (
            "Human Resources/ Corporate Management Team",
            ["Human Resources", "Corporate Management Team"],
        ),
        (
            "Political Cabinet/ Corporate Management Team",
            ["Political Cabinet", "Corporate Management Team"],
        ),
        ("Head of Finance; Head of Policy", ["Head of Finance", "Head of Policy"]),
        ("Head of Finance, Chief Executive", ["Head of Finance", "Chief Executive"]),
        ("Health & Safety Manager", ["Health & Safety Manager"]),
        ("Head of Legal & Democratic Services", ["Head of Legal & Democratic Services"]),
        ("Communications and Marketing Manager", ["Communications and Marketing Manager"]),
        ("Head of Finance and Resources", ["Head of Finance and Resources"]),
        ("Constitution working group.", ["Constitution working group"]),
        (
            "Human Resources/ Corporate Management Team/",
            ["Human Resources", "Corporate Management Team"],
        ),
        ("  HRMT ;; / ", ["HRMT"]),
        ("HR Delivery Manager\nHR Delivery Manager", ["HR Delivery Manager"]),
        ("HRMT/ hrmt / OD Manager", ["HRMT", "OD Manager"]),
        ("OD Manager/HRMT/Head of Finance", ["OD Manager", "HRMT", "Head of Finance"]),
        (
            "Head of Legal & Democratic Services Head of HR&D",
            ["Head of Legal & Democratic Services", "Head of HR&D"],
        ),
        ("Deputy to the Head of Finance", ["Deputy to the Head of Finance"]),
        (
            "Programme Managers (Head of PSU / Deputy)",
            ["Programme Managers (Head of PSU / Deputy)"],
        ),
        ("• Head of Finance", ["Head of Finance"]),
        ("Lead Officer/Group", []),
        ("Owner", []),
        ("", []),
        ("  \n ", []),
        (None, []),
    ],
)
def test_split_lead(cell: str | None, parts: list[str]) -> None:
    """A lead cell yields each lead once, in order, without cutting inside a role's name."""
    assert split_lead(cell) == parts


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Head of H&S", "head of h and s"),
        ("Chief Executive's Office", "Chief Executives Office"),
        ("HEAD  OF   FINANCE.", "head of finance"),
        ("Head of Strategic HR/ OD", "head of strategic hr od"),
    ],
)
def test_normalise_name_ignores_case_spacing_and_punctuation(left: str, right: str) -> None:
    """Names written with different case, spacing, "&" or punctuation compare equal."""
    assert normalise_name(left) == normalise_name(right)


PEOPLE = (
    DirectoryEntry(1, "finance@example.gov.uk", "Ann Finch", ("Head of Finance",)),
    DirectoryEntry(2, "hr@example.gov.uk", "Bo Reed", ("Head of Strategic HR", "HRMT")),
    DirectoryEntry(3, "delivery@example.gov.uk", "Cy Lane", ("HR Delivery Manager",)),
    DirectoryEntry(4, "od1@example.gov.uk", "Di Moss", ("OD Manager", "Head of HR/OD")),
    DirectoryEntry(5, "od2@example.gov.uk", "Ed Lowe", ("OD Manager", "Diversity Officer")),
    DirectoryEntry(6, "cmt@example.gov.uk", "Flo Hart", ("CMT", "Head of HR&D")),
)
BODIES = {"CMT": "Corporate Management Team", "Cabinet": "Cabinet"}


@pytest.fixture(scope="module")
def matcher() -> LeadMatcher:
    return LeadMatcher(PEOPLE, BODIES)


@pytest.mark.parametrize(
    ("cell", "owner", "people", "bodies", "unresolved"),
    [
        ("Head of Finance", 1, (1,), (), ()),
        ("head of  FINANCE.", 1, (1,), (), ()),
        ("Ann Finch", 1, (1,), (), ()),
        ("Head of Strategic HR/ HR Delivery Manager", 2, (2, 3), (), ()),
        ("HR Delivery Manager\nHead of Strategic HR", 3, (3, 2), (), ()),
        ("Head of Finance and Head of Finance", 1, (1,), (), ()),
        ("Cabinet/ Corporate Management Team", None, (), ("Cabinet", "CMT"), ()),
        ("CMT", None, (), ("CMT",), ()),
        ("Political Cabinet/ CMT/ Head of Finance", 1, (1,), ("Cabinet", "CMT"), ()),
        ("Member of Cabinet", None, (), (), ("Member of Cabinet",)),
        ("Kier/ Head of Finance", 1, (1,), (), ("Kier",)),
        ("Head of Business", None, (), (), ("Head of Business",)),
        ("Head of HR/OD", 4, (4,), (), ()),
        (None, None, (), (), ()),
        ("Lead Officer/Group", None, (), (), ()),
    ],
)
def test_match_finds_people_and_bodies(
    matcher: LeadMatcher,
    cell: str | None,
    owner: int | None,
    people: tuple[int, ...],
    bodies: tuple[str, ...],
    unresolved: tuple[str, ...],
) -> None:
    """The first person named owns the action; bodies and unknown parts are reported apart."""
    result = matcher.match(cell)
    assert result.owner_id == owner
    assert result.people == people
    assert result.bodies == bodies
    assert result.unresolved == unresolved
    expected_email = next((p.email for p in PEOPLE if p.person_id == owner), None)
    assert result.owner_email == expected_email


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("head of  FINANCE.", True),
        ("Bo Reed", True),
        ("Corporate Management Team", True),
        ("OD Manager", False),  # shared by two people: names nobody in particular
        ("Political Cabinet", False),  # resolves only through its qualifier
        ("Head of Finance/ CMT", False),
        ("Head of Business", False),
    ],
)
def test_names_one_accepts_only_one_exact_name_alias_or_body(
    matcher: LeadMatcher, text: str, known: bool
) -> None:
    """Exactly one person's name or alias, or one body's name or title, and nothing looser."""
    assert matcher.names_one(text) is known


def test_part_matching_a_body_is_not_looked_up_as_a_person(matcher: LeadMatcher) -> None:
    """ "CMT" is the body even though a person also carries it as an alias."""
    result = matcher.match("CMT")
    assert (result.bodies, result.people, result.owner_id) == (("CMT",), (), None)


def test_shared_alias_is_left_unresolved_and_reported(matcher: LeadMatcher) -> None:
    """An alias two people share is never guessed: it stays unresolved and is called ambiguous."""
    result = matcher.match("OD Manager/ Head of Finance")
    assert result.owner_id == 1
    assert result.unresolved == ("OD Manager",)
    assert result.ambiguous == ("OD Manager",)
    assert result.review() == (f"{REVIEW_OWNER_UNRESOLVED}: 'OD Manager' names several people",)


def test_leads_run_together_are_separated_when_both_halves_resolve(matcher: LeadMatcher) -> None:
    """A lost paragraph break between two known leads is repaired, not left unresolved."""
    result = matcher.match("Head of HR&D Diversity Officer")
    assert result.parts == ("Head of HR&D", "Diversity Officer")
    assert result.people == (6, 5)
    assert result.unresolved == ()


def test_leads_joined_by_ampersand_are_separated_when_both_halves_resolve(
    matcher: LeadMatcher,
) -> None:
    """ "A & B" naming two known leads gives both, dropping the "&"."""
    result = matcher.match("Bo Reed & Ann Finch")
    assert result.parts == ("Bo Reed", "Ann Finch")
    assert result.people == (2, 1)


def test_unknown_run_together_text_stays_one_unresolved_part(matcher: LeadMatcher) -> None:
    """Text is only cut where both halves are known, so an unknown lead is kept as written."""
    result = matcher.match("Head of Finance Somewhere Else")
    assert result.parts == ("Head of Finance Somewhere Else",)
    assert result.unresolved == ("Head of Finance Somewhere Else",)
    assert result.review() == (
        f"{REVIEW_OWNER_UNRESOLVED}: 'Head of Finance Somewhere Else' matches no person or body",
    )


def test_lead_naming_only_bodies_asks_for_an_owner(matcher: LeadMatcher) -> None:
    """A lead of bodies alone resolves, yet still tells the reviewer nobody owns the action."""
    assert matcher.match("Cabinet").review() == (
        f"{REVIEW_OWNER_UNRESOLVED}: the lead names only bodies",
    )


def test_empty_lead_is_an_empty_match(matcher: LeadMatcher) -> None:
    """No lead text gives an empty match with nothing to review here."""
    assert matcher.match("  ") == LeadMatch((), None, None, (), (), (), ())
    assert matcher.match(None).review() == ()


def test_repeated_lead_text_gives_the_same_answer(matcher: LeadMatcher) -> None:
    """A lead repeated on many rows is resolved once and answered identically each time."""
    first = matcher.match("Head of Strategic HR/ HR Delivery Manager")
    assert matcher.match("Head of Strategic HR/ HR Delivery Manager") is first


def test_body_title_longest_suffix_wins() -> None:
    """A qualified title resolves to the body with the longest matching title."""
    matcher = LeadMatcher((), {"CMT": "Corporate Management Team", "MT": "Management Team"})
    assert matcher.match("Interim Corporate Management Team").bodies == ("CMT",)
    assert matcher.match("Senior Management Team").bodies == ("MT",)
