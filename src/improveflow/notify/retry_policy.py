"""When a failed email is tried again, and whether it can be: the retry policy. Pure.

A temporary failure (no connection, no reply, a 4xx) is tried again after a wait that doubles
from a minute up to half an hour, for as long as the email is still useful; a permanent one
(a 5xx about this recipient or message) is not.
"""

from __future__ import annotations

import random
from datetime import timedelta

import aiosmtplib

from improveflow.models import DeliveryFault

BACKOFF_FIRST = timedelta(minutes=1)
# At most this long between attempts, so mail goes within half an hour of the server's return.
BACKOFF_CAP = timedelta(minutes=30)
# Jitter only shortens a wait, by up to this share, so retries of one outage spread out.
JITTER = 0.2


def backoff(attempt: int, *, jitter: bool = True, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number `attempt` (1, 2, ...): 1 min, 2, 4, ... at most 30."""
    wait: timedelta = min(BACKOFF_FIRST * 2 ** min(max(attempt, 1) - 1, 16), BACKOFF_CAP)
    if jitter:
        wait *= 1 - JITTER * (rng or random).random()
    return wait


def is_permanent(error: BaseException) -> bool:
    """Whether retrying cannot help: a 5xx about this recipient or message, or an unsendable one.

    A 5xx to the greeting, EHLO, login or sender concerns the server or our settings, not
    this message: those are retried for as long as the email is useful.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return error.code >= 500
    # An address aiosmtplib will not put on the wire, or UTF-8 the server cannot take.
    return isinstance(error, aiosmtplib.SMTPNotSupported | ValueError)


def fault_of(error: BaseException) -> DeliveryFault:
    """Whether `error` is about this recipient or message, or stops every email alike."""
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return DeliveryFault.RECIPIENT
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError):
        return DeliveryFault.MESSAGE
    return DeliveryFault.SERVER
