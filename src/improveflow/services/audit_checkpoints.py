"""Audit checkpoints: make one, send it out of the database's reach, and verify against them.

A checkpoint is only made of a chain that verifies, so it never vouches for a log that was
already tampered with. The daily one goes by email through the outbox (one per London day
however many scheduler processes run, thanks to the outbox key) and/or into a folder (one file
per day, never overwritten).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from improveflow import audit, audit_checkpoint, exceptions
from improveflow.audit_checkpoint import Checkpoint
from improveflow.audit_key import AuditKey
from improveflow.calendar import as_london
from improveflow.config import Settings
from improveflow.services.context import Context
from improveflow.stores import outbox

log = logging.getLogger(__name__)

TEMPLATE = "audit_checkpoint"


def _key_for(ctx: Context, needed_for: str) -> AuditKey:
    key = ctx.database.audit_key
    if key is None:
        raise exceptions.ConfigurationError(
            f"IMPROVEFLOW_AUDIT_KEY must be set {needed_for}: checkpoints are signed with it"
        )
    return key


def verify_log(
    ctx: Context, checkpoint_files: Sequence[tuple[str, str]] = ()
) -> audit.VerifyReport:
    """Verify the chain, and against each checkpoint given as (where it came from, its text).

    Every checkpoint's signature is checked before the log is read.
    """
    checkpoints = []
    if checkpoint_files:
        key = ctx.database.audit_key
        if key is None:
            raise exceptions.AuditNotVerifiable(
                "IMPROVEFLOW_AUDIT_KEY is not set, so a checkpoint's signature cannot be "
                "checked and nothing has been verified: set it to this installation's audit "
                "key and verify again"
            )
        checkpoints = [
            audit_checkpoint.parse(text, key, source=source) for source, text in checkpoint_files
        ]
    with ctx.database.reading() as session:
        return audit.verify(session, ctx.database.audit_key, checkpoints)


def take(ctx: Context, now: datetime | None = None) -> Checkpoint:
    """A signed checkpoint of the audit log as it is now; the chain must verify first."""
    key = _key_for(ctx, "to make a checkpoint")
    with ctx.database.reading() as session:
        report = audit.verify(session, key)
    return audit_checkpoint.make(
        key, seq=report.events, head_hash=report.head_hash, made_at=now or ctx.clock.now()
    )


def recipient(settings: Settings) -> tuple[str, str] | None:
    """(name, address) from IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL, or None when it is unset."""
    value = (settings.audit_checkpoint_email or "").strip()
    if not value:
        return None
    name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    broken = any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or any(
        ch.isspace() for ch in address
    )
    if broken or not (local and at and domain):
        raise exceptions.ConfigurationError(
            f"IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL must be an email address (or 'Name <address>'), "
            f"not {value!r}"
        )
    return name, address


def queue_email(ctx: Context, checkpoint: Checkpoint, *, key: str) -> str:
    """Queue the checkpoint to IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL under outbox key `key`.

    Returns the address; a key already queued adds nothing.
    """
    chair = recipient(ctx.settings)
    if chair is None:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL is not set: set it to the address that should "
            "keep the checkpoints (the audit committee chair's, say)"
        )
    name, address = chair
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        outbox.enqueue(
            session,
            key=key,
            template=TEMPLATE,
            recipient_email=address,
            recipient_name=name,
            person_id=None,
            context=email_context(ctx.settings, checkpoint),
            due_at=now,
            now=now,
        )
    return address


def email_context(settings: Settings, checkpoint: Checkpoint) -> dict[str, object]:
    """What the audit_checkpoint email templates read (see templates/emails/README.md)."""
    return {
        "seq": checkpoint.seq,
        "events": checkpoint.events,
        "head_hash": checkpoint.head_hash,
        "made_at": as_london(checkpoint.made_at).isoformat(timespec="seconds"),
        "checkpoint": checkpoint.as_block(),
        "installation": settings.base_url,
    }


def save(checkpoint: Checkpoint, path: Path) -> Path:
    """Write the checkpoint to `path`, which must not exist yet: a checkpoint is never replaced."""
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(checkpoint.to_json())
    except FileExistsError:
        raise exceptions.Refused(
            f"{path} already exists: checkpoints are never overwritten, so choose another name"
        ) from None
    except OSError as error:
        raise exceptions.ConfigurationError(
            f"Could not write the checkpoint to {path}: {error.strerror}"
        ) from None
    return path


# The daily checkpoint -------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyCheckpoint:
    """What the day's run did."""

    checkpoint: Checkpoint
    emailed_to: str | None
    saved_to: Path | None


def daily_file_name(day: str) -> str:
    return f"audit-checkpoint-{day}.json"


def check_daily_settings(settings: Settings, key: AuditKey | None) -> bool:
    """Whether a daily checkpoint is wanted; ConfigurationError if it is and cannot be made.

    Checked when the scheduler starts, so a wrong setting stops it at once instead of
    silently leaving the log unanchored.
    """
    chair = recipient(settings)
    folder = settings.audit_checkpoint_dir
    if chair is None and folder is None:
        return False
    if key is None:
        wanted = (
            "IMPROVEFLOW_AUDIT_CHECKPOINT_EMAIL" if chair else "IMPROVEFLOW_AUDIT_CHECKPOINT_DIR"
        )
        raise exceptions.ConfigurationError(
            f"{wanted} is set, but IMPROVEFLOW_AUDIT_KEY is not: checkpoints are signed with "
            "the audit key, so set it too"
        )
    if folder is not None and not folder.is_dir():
        raise exceptions.ConfigurationError(
            f"IMPROVEFLOW_AUDIT_CHECKPOINT_DIR {folder} is not a folder: create it (somewhere the "
            "database's administrators cannot rewrite) or unset it"
        )
    return True


def daily(ctx: Context) -> DailyCheckpoint:
    """Make today's checkpoint (London day) and send it where the settings say."""
    checkpoint = take(ctx)
    day = as_london(checkpoint.made_at).date().isoformat()
    emailed_to = None
    if recipient(ctx.settings) is not None:
        emailed_to = queue_email(ctx, checkpoint, key=f"audit_checkpoint:daily:{day}")
    saved_to = None
    folder = ctx.settings.audit_checkpoint_dir
    if folder is not None:
        path = folder / daily_file_name(day)
        try:
            saved_to = save(checkpoint, path)
        except exceptions.Refused:
            # Another scheduler process (or an earlier run today) saved the day's first: keep it.
            log.info("audit checkpoint for %s already saved at %s", day, path)
    return DailyCheckpoint(checkpoint=checkpoint, emailed_to=emailed_to, saved_to=saved_to)
