"""``DateTime``: the value of ``server.dateTime`` and ``dateTime(...)`` in MEL.

Mule's ``org.mule.el.datetime.DateTime`` prints as an xs:dateTime with milliseconds and
the zone offset (``2017-06-01T10:20:30.123+02:00``), formats with Java
``SimpleDateFormat`` patterns and offers ``plusX`` arithmetic and field getters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_PATTERN_TOKEN = re.compile(r"'[^']*'|([A-Za-z])\1*")


def _offset(dt: datetime, colon: bool) -> str:
    delta = dt.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


def format_java(dt: datetime, pattern: str) -> str:
    """Format ``dt`` with a Java ``SimpleDateFormat`` pattern (the common letters)."""

    def field(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token[1:-1] if token != "''" else "'"
        letter, width = token[0], len(token)
        if letter == "y":
            return f"{dt.year % 100:02d}" if width == 2 else f"{dt.year:0{width}d}"
        if letter == "M":
            if width >= 4:
                return dt.strftime("%B")
            if width == 3:
                return dt.strftime("%b")
            return f"{dt.month:0{width}d}"
        simple: dict[str, int] = {
            "d": dt.day,
            "H": dt.hour,
            "m": dt.minute,
            "s": dt.second,
            "D": dt.timetuple().tm_yday,
            "k": dt.hour or 24,
            "K": dt.hour % 12,
            "h": dt.hour % 12 or 12,
        }
        if letter in simple:
            return f"{simple[letter]:0{width}d}"
        if letter == "S":
            return f"{dt.microsecond // 1000:03d}"[:width].rjust(width, "0")
        if letter == "E":
            return dt.strftime("%A") if width >= 4 else dt.strftime("%a")
        if letter == "a":
            return "AM" if dt.hour < 12 else "PM"
        if letter == "Z":
            return _offset(dt, colon=False)
        if letter == "X":
            return "Z" if not dt.utcoffset() else _offset(dt, colon=width >= 3)
        if letter == "z":
            return dt.tzname() or _offset(dt, colon=True)
        return token

    return _PATTERN_TOKEN.sub(field, pattern)


class DateTime:
    """An instant with a zone, as MEL's ``DateTime``; immutable."""

    __slots__ = ("value",)

    def __init__(self, value: datetime | None = None) -> None:
        if value is None:
            value = datetime.now().astimezone()
        elif value.tzinfo is None:
            value = value.astimezone()
        self.value = value

    @classmethod
    def parse(cls, text: str, pattern: str | None = None) -> DateTime:
        """Parse ISO-8601 text, or text in a Java pattern (common letters only)."""
        if pattern is None:
            iso = text.strip().replace("Z", "+00:00")
            return cls(datetime.fromisoformat(iso))
        py = _PATTERN_TOKEN.sub(_to_strptime, pattern)
        return cls(datetime.strptime(text, py))

    def format(self, pattern: str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") -> str:
        return format_java(self.value, pattern)

    def __str__(self) -> str:
        millis = f"{self.value.microsecond // 1000:03d}"
        return self.value.strftime("%Y-%m-%dT%H:%M:%S.") + millis + _offset(self.value, True)

    def __repr__(self) -> str:
        return f"DateTime({self})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTime) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: DateTime) -> bool:
        return self.value < other.value

    # MEL-visible API (Java names) -------------------------------------------------
    def mel_call(self, name: str, args: list[Any]) -> Any:
        """Call a Java-named method; raises ``AttributeError`` when unknown."""
        units = {
            "plusMilliSeconds": "milliseconds",
            "plusSeconds": "seconds",
            "plusMinutes": "minutes",
            "plusHours": "hours",
            "plusDays": "days",
            "plusWeeks": "weeks",
        }
        if name in units:
            return DateTime(self.value + timedelta(**{units[name]: int(args[0])}))
        if name in ("plusMonths", "plusYears"):
            months = int(args[0]) * (12 if name == "plusYears" else 1)
            total = self.value.month - 1 + months
            year, month = self.value.year + total // 12, total % 12 + 1
            day = min(self.value.day, _days_in_month(year, month))
            return DateTime(self.value.replace(year=year, month=month, day=day))
        if name == "format":
            return self.format(*[str(a) for a in args])
        if name == "isBefore":
            return self.value < _as_datetime(args[0])
        if name == "isAfter":
            return self.value > _as_datetime(args[0])
        if name == "withTimeZone":
            return DateTime(self.value.astimezone(_zone(str(args[0]))))
        if name == "changeTimeZone":
            return DateTime(self.value.replace(tzinfo=_zone(str(args[0]))))
        if name == "toDate" or name == "toCalendar":
            return self.value
        if name == "toString":
            return str(self)
        if name.startswith("get") and len(name) > 3 and not args:
            return self.mel_property(name[3].lower() + name[4:])
        raise AttributeError(name)

    def mel_property(self, name: str) -> Any:
        v = self.value
        fields: dict[str, Any] = {
            "milliSeconds": v.microsecond // 1000,
            "seconds": v.second,
            "minutes": v.minute,
            "hours": v.hour,
            "dayOfWeek": v.isoweekday() % 7 + 1,
            "dayOfMonth": v.day,
            "dayOfYear": v.timetuple().tm_yday,
            "weekOfMonth": (v.day - 1) // 7 + 1,
            "weekOfYear": v.isocalendar()[1],
            "month": v.month,
            "year": v.year,
            "timeZone": v.tzname(),
            "date": self,
            "time": self,
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, DateTime):
        return value.value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.astimezone()
    return DateTime.parse(str(value)).value


def _zone(name: str) -> timezone:
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    match = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?", name)
    if match is None:
        raise ValueError(f"unknown time zone {name!r} (use UTC or an offset like +02:00)")
    sign = 1 if match.group(1) == "+" else -1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * delta)


def _to_strptime(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith("'"):
        return token[1:-1].replace("%", "%%")
    letter, width = token[0], len(token)
    table = {"d": "%d", "H": "%H", "m": "%M", "s": "%S", "S": "%f", "a": "%p", "Z": "%z"}
    if letter == "y":
        return "%y" if width == 2 else "%Y"
    if letter == "M":
        return "%B" if width >= 4 else "%b" if width == 3 else "%m"
    if letter == "X":
        return "%z"
    if letter == "h":
        return "%I"
    return table.get(letter, token)
