"""Web sessions and spent sign-in links, kept in memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from improveflow.stores.sessions import SignedIn, StoredSession


@dataclass(frozen=True)
class FakePerson:
    """What a signed-in page shows of a person."""

    name: str
    email: str
    organisation: str | None = None


class FakeWebSessions:
    """`WebSessionStore` in memory; `people` are those sessions may belong to, by id."""

    def __init__(self, people: Mapping[int, FakePerson]) -> None:
        self.people = dict(people)
        self.sessions: dict[str, StoredSession] = {}

    def add_session(self, session: object, stored: StoredSession) -> None:
        if stored.key_hash in self.sessions:
            raise ValueError(f"a session with key hash {stored.key_hash} is already stored")
        if stored.person_id not in self.people:
            raise ValueError(f"no person with id {stored.person_id}")
        self.sessions[stored.key_hash] = stored

    def end_session(self, session: object, key_hash: str) -> None:
        self.sessions.pop(key_hash, None)

    def signed_in(self, session: object, key_hash: str, now: datetime) -> SignedIn | None:
        stored = self.sessions.get(key_hash)
        if stored is None or stored.expires_at <= now:
            return None
        person = self.people[stored.person_id]
        return SignedIn(
            stored.person_id,
            stored.csrf_token,
            stored.scope,
            stored.expires_at,
            person.name,
            person.email,
            person.organisation,
        )

    def forget_ended(self, session: object, now: datetime) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s.expires_at >= now}


class FakeSpentLinks:
    """`SpentLinkStore` in memory: nonce to the moment it was used."""

    def __init__(self) -> None:
        self.used: dict[str, datetime] = {}

    def spend(
        self, session: object, *, nonce: str, purpose: str, person_id: int, now: datetime
    ) -> bool:
        if nonce in self.used:
            return False
        self.used[nonce] = now
        return True

    def is_spent(self, session: object, nonce: str) -> bool:
        return nonce in self.used

    def forget_spent_before(self, session: object, before: datetime) -> int:
        old = [nonce for nonce, at in self.used.items() if at < before]
        for nonce in old:
            del self.used[nonce]
        return len(old)
