"""Bundling a page at a time, each page committed on its own: every due notice ends in exactly
one email, a person's notices in one email however the pages fall, and a run that dies
between pages leaves the rest for the next run."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from improveflow.calendar import LONDON
from improveflow.models import Action, Notice, Outbox
from improveflow.services import bundling, notices
from improveflow.services.context import Context
from improveflow.testing import add_owners_with_actions

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
KINDS = (notices.REMINDER, notices.PROGRESS_PROMPT)


class _Died(Exception):
    """The process dying while it bundles."""


def _record_notices(ctx: Context, owners: int) -> int:
    """A reminder and a progress prompt, due now, for each of `owners` owners; how many."""
    add_owners_with_actions(ctx, owners, target=date(2026, 3, 9), heard_from=MONDAY)
    with ctx.database.writing() as session:
        for action in session.exec(select(Action)).all():
            assert action.id is not None
            assert action.owner_id is not None
            for kind in KINDS:
                notices.add(
                    session,
                    key=f"{kind}:{action.id}",
                    kind=kind,
                    person_id=action.owner_id,
                    action_id=action.id,
                    due_at=MONDAY,
                    now=MONDAY,
                )
    return owners * len(KINDS)


def _bundled(ctx: Context) -> tuple[list[Any], list[Any]]:
    """(id, person_id, outbox_id) of every notice; (id, person_id, template) of every email."""
    with ctx.database.reading() as session:
        found = session.exec(select(Notice.id, Notice.person_id, Notice.outbox_id)).all()
        emails = session.exec(select(Outbox.id, Outbox.person_id, Outbox.template)).all()
        return list(found), list(emails)


def _assert_one_email_per_owner(ctx: Context, owners: int, recorded: int) -> None:
    """Every notice in an email, each owner's two in the same one, one email per owner."""
    found, emails = _bundled(ctx)
    assert len(found) == recorded
    assert all(notice.outbox_id is not None for notice in found)
    assert len(emails) == owners
    by_email = Counter(notice.outbox_id for notice in found)
    assert set(by_email.values()) == {len(KINDS)}
    recipients = {email.id: email.person_id for email in emails}
    assert all(recipients[notice.outbox_id] == notice.person_id for notice in found)
    assert {email.template for email in emails} == {"digest"}


def _count_commits(ctx: Context) -> list[int]:
    commits = [0]

    def counted(*_: Any) -> None:
        commits[0] += 1

    sa.event.listen(ctx.database.engine, "commit", counted)
    return commits


def test_more_notices_than_a_page_are_all_bundled_each_once(ctx: Context) -> None:
    """250 owners with two notices each (500, two and a half pages): 250 digests, each
    carrying its owner's two notices, queued over several transactions."""
    recorded = _record_notices(ctx, 250)
    commits = _count_commits(ctx)
    queued = bundling.bundle_due_by_page(ctx, MONDAY)
    assert queued == 250
    assert commits[0] >= recorded // bundling.PAGE + 1
    _assert_one_email_per_owner(ctx, 250, recorded)
    assert bundling.bundle_due_by_page(ctx, MONDAY) == 0


def test_a_person_with_more_notices_than_a_page_gets_one_email(ctx: Context) -> None:
    """A page holds all of a person's notices, even when they alone fill more than a page."""
    recorded = _record_notices(ctx, 3)
    assert bundling.bundle_due_by_page(ctx, MONDAY, page_size=1) == 3
    _assert_one_email_per_owner(ctx, 3, recorded)


def test_a_run_that_dies_between_pages_leaves_the_rest_for_the_next(ctx: Context) -> None:
    """The first page stays bundled; the next run bundles the rest, queuing none twice."""
    recorded = _record_notices(ctx, 250)
    commits = _count_commits(ctx)

    def dies_at_the_second_commit(*_: Any) -> None:
        if commits[0] >= 2:
            raise _Died

    sa.event.listen(ctx.database.engine, "commit", dies_at_the_second_commit)
    try:
        with pytest.raises(_Died):
            bundling.bundle_due_by_page(ctx, MONDAY)
    finally:
        sa.event.remove(ctx.database.engine, "commit", dies_at_the_second_commit)
    found, emails = _bundled(ctx)
    first_page = [notice for notice in found if notice.outbox_id is not None]
    assert 0 < len(first_page) <= bundling.PAGE
    assert len(emails) == len(first_page) // len(KINDS)
    assert bundling.bundle_due_by_page(ctx, MONDAY) == 250 - len(emails)
    _assert_one_email_per_owner(ctx, 250, recorded)
