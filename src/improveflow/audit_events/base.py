"""How a typed audit event maps onto its stored row, and back.

An event's fields live in two places: the row's own columns (`action_id`, `request_id`,
`actor_id`, `from_state`, `to_state`, `comment`) and its JSON payload (`data`). A field named
after a column is stored in it; `column("comment")` stores a field under another name there
(a progress update's `text`); every other field is a payload key, its own name unless
`in_payload("from")` says otherwise. Reading goes by each field's declared type, so a stored
"2014-07-31" comes back a `date` and "approve" a `Verdict`; a row that does not fit its kind's
record is `Unreadable`.

The stored shapes are the ones already in every installation's log, inside its hashes: a record
writes exactly the payload its writer always has, key for key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self, TypeVar

from improveflow.audit_events.kinds import EventKind

COLUMNS = ("action_id", "request_id", "actor_id", "from_state", "to_state", "comment")

Reader = Callable[[Any], Any]


class Unreadable(ValueError):
    """A stored event whose fields do not fit its kind's record."""


class StoredRow(Protocol):
    """An `audit_event` row as read: the model, or a Core row of the same columns."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def event(self) -> str: ...
    @property
    def action_id(self) -> int | None: ...
    @property
    def request_id(self) -> int | None: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str | None: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def data(self) -> str: ...


_NOTHING = object()


def column(name: str) -> dict[str, object]:
    """Field metadata: stored in the row's column `name`."""
    assert name in COLUMNS, name
    return {"column": name}


def in_payload(
    key: str | None = None, *, omit_default: bool = False, missing: object = _NOTHING
) -> dict[str, object]:
    """Field metadata: stored in the payload under `key` (default: the field's name).

    `omit_default`: the key is left out while the field holds its default, as its writers
    always have. `missing`: the value read from an event written before the key existed.
    """
    return {"key": key, "omit_default": omit_default, "missing": missing}


FROM_KIND: dict[str, object] = {"from_kind": True}
"""Field metadata: not stored as such, but told by the event's kind (`Event.read_kind`)."""


# Reading by declared type --------------------------------------------------------------------


def _int(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        raise Unreadable(f"{value!r} is not a number")
    return int(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise Unreadable(f"{value!r} is not text")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Unreadable(f"{value!r} is not true or false")
    return value


def _date(value: Any) -> date:
    # Written with `str(date)`; only the day matters, whatever followed it.
    if not isinstance(value, str):
        raise Unreadable(f"{value!r} is not a date")
    return date.fromisoformat(value[:10])


_READERS: dict[str, Reader] = {"int": _int, "str": _str, "bool": _bool, "date": _date}
# Types whose values go into the payload as they are (the JSON writer words dates and enums).
_AS_IS = {"int", "str", "bool", "date"}


def readable(name: str, reader: Reader) -> None:
    """Let fields declared as `name` (a record type, an enum) be read with `reader`."""
    _READERS[name] = reader


def readable_enum(enum: type[StrEnum]) -> None:
    readable(enum.__name__, enum)
    _AS_IS.add(enum.__name__)


def _whole(annotation: str) -> bool:
    """Whether values of a declared type need `_plain` (records, tuples) to be stored."""
    return " ".join(annotation.split()).removesuffix(" | None") not in _AS_IS


def reader_for(annotation: str) -> Reader:
    """The reader for a declared type: `T`, `T | None` or `tuple[T, ...]`."""
    annotation = " ".join(annotation.split())
    if annotation.endswith(" | None"):
        inner = reader_for(annotation.removesuffix(" | None"))
        return lambda value: None if value is None else inner(value)
    if annotation.startswith("tuple[") and annotation.endswith(", ...]"):
        each = reader_for(annotation.removeprefix("tuple[").removesuffix(", ...]"))

        def read_all(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise Unreadable(f"{value!r} is not a list")
            return tuple(each(item) for item in value)

        return read_all
    try:
        return _READERS[annotation]
    except KeyError:
        raise TypeError(f"an audit event field of type {annotation} cannot be read") from None


def _plain(value: Any) -> Any:
    """A field's value as the payload keeps it (dates stay dates: the JSON writer words them)."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Record):
        return value.as_json()
    return value


@dataclasses.dataclass(frozen=True)
class _Slot:
    """Where one field is stored and how it is read back."""

    name: str
    column: str | None
    key: str
    omit_default: bool
    default: object
    missing: object
    from_kind: bool
    read: Reader
    whole: bool


def _slots(cls: type[Event]) -> tuple[_Slot, ...]:
    slots = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        stored_column = meta.get("column") or (f.name if f.name in COLUMNS else None)
        default = f.default if f.default is not dataclasses.MISSING else _NOTHING
        slots.append(
            _Slot(
                name=f.name,
                column=stored_column,
                key=meta.get("key") or f.name,
                omit_default=bool(meta.get("omit_default")),
                default=default,
                missing=default if meta.get("missing", _NOTHING) is _NOTHING else meta["missing"],
                from_kind=bool(meta.get("from_kind")),
                read=reader_for(str(f.type)),
                whole=_whole(str(f.type)),
            )
        )
    return tuple(slots)


class Record:
    """A value kept whole in the payload (a change of dates, an email requeued)."""

    __slots__ = ()

    def as_json(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """One kind of audit event, typed. Subclasses are frozen dataclasses naming `KIND`."""

    KIND: ClassVar[EventKind]
    # Every kind read into this record (several when a field tells them apart).
    KINDS: ClassVar[tuple[EventKind, ...]] = ()
    _SLOTS: ClassVar[tuple[_Slot, ...]] = ()
    # Worked out once per record, since events are written on the approval hot path.
    _COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()  # (field, column)
    _KEPT: ClassVar[tuple[tuple[str, str, bool, object, bool], ...]] = ()

    @classmethod
    def prepare(cls) -> None:
        """Work out, once, where each field is stored and how it is read."""
        cls._SLOTS = _slots(cls)
        cls._COLUMNS = tuple((s.name, s.column) for s in cls._SLOTS if s.column)
        cls._KEPT = tuple(
            (s.name, s.key, s.omit_default, s.default, s.whole)
            for s in cls._SLOTS
            if not s.column and not s.from_kind
        )
        if not cls.KINDS:
            cls.KINDS = (cls.KIND,)

    @property
    def kind(self) -> EventKind:
        return self.KIND

    def columns(self) -> dict[str, Any]:
        """The row's columns this event fills (the rest stay empty)."""
        return {stored: getattr(self, name) for name, stored in self._COLUMNS}

    def payload(self) -> dict[str, Any]:
        """The JSON payload, as its writers have always stored it."""
        stored: dict[str, Any] = {}
        for name, key, omit_default, default, whole in self._KEPT:
            value = getattr(self, name)
            if omit_default and value == default:
                continue
            stored[key] = _plain(value) if whole else value
        return stored

    @classmethod
    def read_kind(cls, kind: EventKind) -> dict[str, Any]:
        """The fields told by the kind (see FROM_KIND)."""
        return {}

    @classmethod
    def read(cls, kind: EventKind, row: StoredRow, data: Mapping[str, Any]) -> Self:
        """The record of a stored row of this kind; Unreadable when the row does not fit."""
        values = cls.read_kind(kind)
        for slot in cls._SLOTS:
            if slot.from_kind:
                continue
            if slot.column:
                raw = getattr(row, slot.column)
            elif slot.key in data:
                raw = data[slot.key]
            elif slot.missing is not _NOTHING:
                values[slot.name] = slot.missing
                continue
            else:
                raise Unreadable(f"'{kind}' event #{row.seq} has no '{slot.key}'")
            try:
                values[slot.name] = slot.read(raw)
            except (Unreadable, ValueError, TypeError) as error:
                raise Unreadable(f"'{kind}' event #{row.seq}, {slot.key}: {error}") from None
        return cls(**values)


_BY_KIND: dict[EventKind, type[Event]] = {}
_E = TypeVar("_E", bound=Event)


def registered(cls: type[_E]) -> type[_E]:
    """Class decorator (above `@dataclass`): make `cls` the record its kinds are read into."""
    cls.prepare()
    for kind in cls.KINDS:
        assert kind not in _BY_KIND, f"two records for '{kind}'"
        _BY_KIND[kind] = cls
    return cls


def record_class(kind: EventKind) -> type[Event] | None:
    return _BY_KIND.get(kind)
