"""Signed checkpoints anchor the audit log outside the database: truncation and rewrites that
verify on their own are caught against one, and the daily one reaches the chair's mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select
from test_audit import AUDIT_KEY, fill

from improveflow import audit_assurance, exceptions
from improveflow.audit_key import AuditKey
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Outbox
from improveflow.scheduler import audit_checkpoint_job, build_scheduler
from improveflow.services import audit_checkpoints
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.testing import audit_tampering, make_context
from improveflow.testing.smtp import CapturingSmtpServer, ReceivedEmail

CHAIR = "Cllr Jo Baird <jo.baird@council.example>"
NOW = datetime(2014, 6, 2, 10, 0, tzinfo=LONDON)  # a Monday


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def keyed(database_url: str, tmp_path: Path, smtp: CapturingSmtpServer) -> Iterator[Context]:
    """A busy, keyed log whose checkpoints go to the chair and into a folder."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    context = make_context(
        database_url,
        clock=FrozenClock(NOW),
        audit_key=AUDIT_KEY,
        audit_checkpoint_email=CHAIR,
        audit_checkpoint_dir=str(folder),
        secret_key="a-link-signing-secret-of-some-length",
        base_url="https://plans.council.example",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
    )
    yield fill(context)
    context.close()


def _as_file(checkpoint_json: str) -> list[tuple[str, str]]:
    return [("checkpoint.json", checkpoint_json)]


def test_truncated_log_is_caught_against_a_checkpoint(keyed: Context) -> None:
    """Deleting the newest events and moving the head back verifies on its own, and the
    verification says it cannot see that; against a checkpoint it is caught, with the range."""
    checkpoint = audit_checkpoints.take(keyed)
    with keyed.database.engine.begin() as conn:
        audit_tampering.truncate(conn, keep=12)
    alone = audit_checkpoints.verify_log(keyed)
    assert alone.events == 12
    assert (
        "Events removed from the end: someone who can write to the database could delete the "
        "newest events and move the head back, and this check would still pass."
    ) in audit_assurance.not_proved(alone)
    with pytest.raises(exceptions.AuditChainBroken) as broken:
        audit_checkpoints.verify_log(keyed, _as_file(checkpoint.to_json()))
    assert str(broken.value) == (
        "the checkpoint of Monday 2 June 2014 at 10:00 (checkpoint.json) records 15 events, up "
        "to #15, but the log now ends at #12: events #13 to #15 have been removed from the end"
    )


@pytest.mark.parametrize(
    ("attack", "unseen_alone"),
    [
        # Someone holding the key recomputes the chain after an edit: keyed, and valid.
        ({"seq": 13, "guessed_key": AuditKey(AUDIT_KEY)}, "A chain recomputed by someone"),
        # Someone without it rewrites the whole log as unkeyed from the first event.
        ({"seq": 1, "mark_unkeyed": True}, "and nothing is: check that every improveflow"),
    ],
    ids=["with-the-key", "all-unkeyed"],
)
def test_rewrites_that_verify_alone_are_caught_against_a_checkpoint(
    keyed: Context, attack: dict[str, object], unseen_alone: str
) -> None:
    """Rewrites no chain check can see are named as possible, then caught by a checkpoint."""
    checkpoint = audit_checkpoints.take(keyed)
    with keyed.database.engine.begin() as conn:
        audit_tampering.rechain(conn, comment="Rubber-stamped", **attack)  # type: ignore[arg-type]
    alone = audit_checkpoints.verify_log(keyed)
    assert any(unseen_alone in sentence for sentence in audit_assurance.not_proved(alone))
    with pytest.raises(exceptions.AuditChainBroken) as broken:
        audit_checkpoints.verify_log(keyed, _as_file(checkpoint.to_json()))
    assert "is not the event the checkpoint of Monday 2 June 2014 at 10:00" in str(broken.value)
    assert str(broken.value).endswith("the log at or before #15 has been rewritten since")


def test_checkpoint_vouches_for_what_it_covers(keyed: Context) -> None:
    """A matching checkpoint is reported as proof that nothing up to it changed or went missing."""
    checkpoint = audit_checkpoints.take(keyed)
    report = audit_checkpoints.verify_log(keyed, _as_file(checkpoint.as_block()))
    assert (
        "Nothing at or before #15 has been changed or gone missing since the checkpoint of "
        "Monday 2 June 2014 at 10:00 (checkpoint.json): its signature is valid, and event #15 "
        "still has the hash it recorded."
    ) in audit_assurance.proved(report)


def test_forged_checkpoint_is_refused_before_anything_is_proved(keyed: Context) -> None:
    """A checkpoint edited to match a truncated log is refused: its signature no longer holds."""
    with keyed.database.engine.begin() as conn:
        audit_tampering.truncate(conn, keep=12)
    honest = audit_checkpoints.take(keyed).to_json()
    edited = honest.replace('"seq": 12', '"seq": 11').replace('"events": 12', '"events": 11')
    with pytest.raises(exceptions.CheckpointInvalid, match="signature does not match"):
        audit_checkpoints.verify_log(keyed, _as_file(edited))


def test_no_checkpoint_of_a_log_that_does_not_verify(keyed: Context) -> None:
    """A checkpoint is only made of a chain that verifies, so it never vouches for tampering."""
    with keyed.database.engine.begin() as conn:
        audit_tampering.rechain(conn, seq=13, comment="Rubber-stamped")
    with pytest.raises(exceptions.AuditChainBroken, match="#13"):
        audit_checkpoints.take(keyed)


def test_checkpoint_without_a_key_is_refused(database_url: str) -> None:
    """Without IMPROVEFLOW_AUDIT_KEY no checkpoint is made, and no checkpoint can be checked."""
    context = make_context(database_url)
    try:
        with pytest.raises(exceptions.ConfigurationError) as refused:
            audit_checkpoints.take(context)
        assert str(refused.value) == (
            "IMPROVEFLOW_AUDIT_KEY must be set to make a checkpoint: checkpoints are signed with it"
        )
        with pytest.raises(exceptions.AuditNotVerifiable, match="signature cannot be checked"):
            audit_checkpoints.verify_log(context, _as_file("{}"))
    finally:
        context.close()


def _text_and_html(message: ReceivedEmail) -> tuple[str, str]:
    parsed = message.message
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    # As a mail client shows and saves them: CRLF line ends become plain ones.
    return (
        str(text.get_content()).replace("\r\n", "\n"),
        str(html.get_content()).replace("\r\n", "\n"),
    )


def test_daily_checkpoint_reaches_the_chair_and_verifies(
    keyed: Context, smtp: CapturingSmtpServer, tmp_path: Path
) -> None:
    """The scheduler's daily job queues the checkpoint; dispatch sends it over SMTP; the email,
    saved as text, is a checkpoint `verify` accepts."""
    audit_checkpoint_job(keyed)
    report = send_due(keyed)
    assert (report.sent, report.failed) == (1, 0)
    [received] = smtp.to("jo.baird@council.example")
    assert received.message["Subject"] == (
        "improveflow audit checkpoint for Monday 2 June 2014: please keep this email"
    )
    text, html = _text_and_html(received)
    assert text.startswith("Dear Cllr Jo Baird,\n\nThis is improveflow's audit checkpoint for ")
    assert "Monday 2 June 2014 at 10:00. At that moment its audit log" in text
    assert "held 15 events." in text
    assert "improveflow audit verify --checkpoint saved-email.txt" in text
    assert "anything recorded up to event 15 has been changed or removed since then" in text
    assert "of improveflow at https://plans.council.example." in text
    assert "-----BEGIN IMPROVEFLOW AUDIT CHECKPOINT-----" in html
    saved = tmp_path / "saved-email.txt"
    saved.write_text(text, encoding="utf-8")
    verified = audit_checkpoints.verify_log(keyed, [(saved.name, saved.read_text("utf-8"))])
    assert [c.seq for c in verified.checkpoints] == [15]


def test_scheduler_makes_one_checkpoint_a_day(keyed: Context, smtp: CapturingSmtpServer) -> None:
    """The job runs daily at 06:00 London; each day gives one file and one email, however
    often it runs that day, and the next day gives the next."""
    clock = keyed.clock
    assert isinstance(clock, FrozenClock)
    scheduler = build_scheduler(keyed, blocking=False)
    job = scheduler.get_job("audit_checkpoint")
    assert job is not None
    fires = job.trigger.get_next_fire_time(None, NOW)
    assert fires == datetime(2014, 6, 3, 6, 0, tzinfo=LONDON)
    folder = keyed.settings.audit_checkpoint_dir
    assert folder is not None

    audit_checkpoint_job(keyed)
    audit_checkpoint_job(keyed)  # a second worker, or a restart, the same day
    clock.set(fires)
    audit_checkpoint_job(keyed)

    assert sorted(path.name for path in folder.iterdir()) == [
        "audit-checkpoint-2014-06-02.json",
        "audit-checkpoint-2014-06-03.json",
    ]
    with keyed.database.reading() as session:
        keys = session.exec(
            select(Outbox.idempotency_key).where(Outbox.template == "audit_checkpoint")
        ).all()
    assert sorted(keys) == [
        "audit_checkpoint:daily:2014-06-02",
        "audit_checkpoint:daily:2014-06-03",
    ]
    assert send_due(keyed, now=fires + timedelta(minutes=1)).sent == 2
    subjects = sorted(m.message["Subject"] for m in smtp.to("jo.baird@council.example"))
    assert subjects == [
        "improveflow audit checkpoint for Monday 2 June 2014: please keep this email",
        "improveflow audit checkpoint for Tuesday 3 June 2014: please keep this email",
    ]
    saved = folder / "audit-checkpoint-2014-06-03.json"
    verified = audit_checkpoints.verify_log(keyed, [(saved.name, saved.read_text("utf-8"))])
    assert verified.checkpoints[0].made_at == fires


def test_scheduler_without_destinations_makes_no_checkpoints(database_url: str) -> None:
    """With neither a checkpoint address nor a folder set there is no daily checkpoint job."""
    context = make_context(database_url, audit_key=AUDIT_KEY)
    try:
        assert build_scheduler(context, blocking=False).get_job("audit_checkpoint") is None
    finally:
        context.close()


def test_scheduler_refuses_checkpoints_it_cannot_sign(database_url: str) -> None:
    """A checkpoint address without an audit key stops the scheduler at start, saying why."""
    context = make_context(database_url, audit_checkpoint_email=CHAIR)
    try:
        with pytest.raises(exceptions.ConfigurationError) as refused:
            build_scheduler(context, blocking=False)
    finally:
        context.close()
    assert str(refused.value) == (
        "IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL is set, but IMPROVEFLOW_AUDIT_KEY is not: "
        "checkpoints are signed with the audit key, so set it too"
    )


def test_checkpoint_file_is_never_overwritten(keyed: Context, tmp_path: Path) -> None:
    """Saving a checkpoint over an existing file is refused and leaves the file as it was."""
    target = tmp_path / "kept.json"
    target.write_text("the committee's copy", encoding="utf-8")
    with pytest.raises(exceptions.Refused, match="already exists"):
        audit_checkpoints.save(audit_checkpoints.take(keyed), target)
    assert target.read_text(encoding="utf-8") == "the committee's copy"


def test_outbox_row_is_addressed_to_the_chair(keyed: Context) -> None:
    """The queued email names the chair as the settings give them, with no person record."""
    audit_checkpoint_job(keyed)
    with keyed.database.engine.connect() as conn:
        row = (
            conn.execute(sa.text("SELECT * FROM outbox WHERE template = 'audit_checkpoint'"))
            .mappings()
            .one()
        )
    assert (row["recipient_email"], row["recipient_name"], row["person_id"]) == (
        "jo.baird@council.example",
        "Cllr Jo Baird",
        None,
    )
