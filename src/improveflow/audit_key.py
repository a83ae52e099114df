"""The audit key (IMPROVEFLOW_AUDIT_KEY): keys the audit log's hashes and signs its checkpoints.

Whoever can write to the database can recompute a plain SHA-256 chain after editing it; they
cannot recompute an HMAC without the key, so the key must live apart from the database (the
application server's environment or a secrets store), and never be IMPROVEFLOW_SECRET_KEY,
which every web server holds to sign links. One key gives three derived keys, so a value
made for one purpose (an event's hash, a checkpoint's signature) is never valid for another.
"""

from __future__ import annotations

import hashlib
import hmac

from improveflow import exceptions
from improveflow.config import Settings

MIN_LENGTH = 32
_CHAIN = b"improveflow audit chain v1"
_CHECKPOINT = b"improveflow audit checkpoint v1"
_KEY_ID = b"improveflow audit key id v1"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return hmac.new(master, purpose, hashlib.sha256).digest()


class AuditKey:
    """The derived keys for the chain and for checkpoints; the key itself is not kept."""

    __slots__ = ("_chain", "_checkpoint", "key_id")

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_LENGTH:
            raise exceptions.ConfigurationError(
                f"IMPROVEFLOW_AUDIT_KEY must be at least {MIN_LENGTH} characters long "
                '(for example the output of: python -c "import secrets; '
                'print(secrets.token_urlsafe(32))")'
            )
        master = secret.encode("utf-8")
        # Keyed once; each digest copies it, which is cheaper than keying again per event.
        self._chain = hmac.new(_derive(master, _CHAIN), digestmod=hashlib.sha256)
        self._checkpoint = _derive(master, _CHECKPOINT)
        # Names the key in a checkpoint without revealing anything that helps recompute it.
        self.key_id = _derive(master, _KEY_ID).hex()[:16]

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditKey | None:
        """The key the settings give, or None when IMPROVEFLOW_AUDIT_KEY is unset or empty.

        Refuses a key equal to IMPROVEFLOW_SECRET_KEY: that one sits on every web server.
        """
        if settings.audit_key is None:
            return None
        secret = settings.audit_key.get_secret_value().strip()
        if not secret:
            return None
        if hmac.compare_digest(secret.encode(), _plain(settings.secret_key).strip().encode()):
            raise exceptions.ConfigurationError(
                "IMPROVEFLOW_AUDIT_KEY must not be the same as IMPROVEFLOW_SECRET_KEY: the secret "
                "key signs links on every web server, while the audit key must stay out of reach "
                "of anyone who could rewrite the database. Choose a different audit key"
            )
        return cls(secret)

    def chain_digest(self, body: bytes) -> str:
        """An event's keyed hash: HMAC-SHA256 of its canonical body, in hex."""
        mac = self._chain.copy()
        mac.update(body)
        return mac.hexdigest()

    def checkpoint_signature(self, body: bytes) -> str:
        return hmac.new(self._checkpoint, body, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"AuditKey(key_id={self.key_id!r})"


def _plain(value: object) -> str:
    """A setting's text, whether it is kept as a plain string or a SecretStr."""
    if value is None:
        return ""
    reveal = getattr(value, "get_secret_value", None)
    return str(reveal() if callable(reveal) else value)
