"""How long, in words: '3 days', '1 day 12 hours', '6 hours', '45 minutes'."""

from __future__ import annotations

from datetime import timedelta

_HOUR = timedelta(hours=1)


def describe_span(span: timedelta) -> str:
    """Days and hours to the nearest hour, or minutes under an hour."""
    if span < timedelta(minutes=1):
        return "less than a minute"
    if span < _HOUR:
        minutes = min(59, round(span / timedelta(minutes=1)))
        return f"{minutes} minute{'s' * (minutes != 1)}"
    days, rest = divmod(span, timedelta(days=1))
    hours = round(rest / _HOUR)
    if hours == 24:  # 23 h 40 min rounds up to the next day
        days, hours = days + 1, 0
    parts = [f"{days} day{'s' * (days != 1)}"] if days else []
    if hours:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    return " ".join(parts)
