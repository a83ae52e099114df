"""Deputies, kept in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime

from improveflow.stores.people.deputies import DeputyPeriod


class FakeDeputies:
    """`DeputyStore` in memory; `bodies` says which approving bodies each person belongs to."""

    def __init__(self, bodies: Mapping[int, Collection[str]]) -> None:
        self.bodies = {person: set(names) for person, names in bodies.items()}
        self.periods: list[DeputyPeriod] = []

    def add_period(
        self,
        session: object,
        *,
        member_id: int,
        deputy_id: int,
        starts_on: date,
        ends_on: date,
        now: datetime,
    ) -> int:
        period_id = len(self.periods) + 1
        self.periods.append(DeputyPeriod(period_id, member_id, deputy_id, starts_on, ends_on))
        return period_id

    def all_periods(self, session: object) -> list[DeputyPeriod]:
        return list(self.periods)

    def member_stood_in_for(
        self, session: object, deputy_id: int, body: str, on: date, exclude: Collection[int]
    ) -> int | None:
        for period in self._standing(deputy_id, on):
            if period.member_id not in exclude and body in self.bodies.get(period.member_id, ()):
                return period.member_id
        return None

    def stand_ins_on(self, session: object, deputy_id: int, on: date) -> dict[int, date]:
        until: dict[int, date] = {}
        for period in self._standing(deputy_id, on):
            until[period.member_id] = max(period.ends_on, until.get(period.member_id, date.min))
        return until

    def bodies_deputised(self, session: object, deputy_id: int, on: date) -> set[str]:
        return {
            body
            for period in self._standing(deputy_id, on)
            for body in self.bodies.get(period.member_id, ())
        }

    def _standing(self, deputy_id: int, on: date) -> list[DeputyPeriod]:
        """The periods in which `deputy_id` stands in on `on`, oldest first."""
        return [
            period
            for period in self.periods
            if period.deputy_id == deputy_id and period.starts_on <= on <= period.ends_on
        ]
