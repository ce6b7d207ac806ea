"""What every import shares: the uploaded file, text decoding, CSV headers, line-numbered
errors, and the report of what was skipped."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from timeboxd.errors import ErrorItem, ValidationFailed
from timeboxd.schemas.imports import SkippedItem

# Details beyond this many are counted in the message, not listed (a 10,000-row file
# with a wrong date format would otherwise answer with 10,000 items).
MAX_LISTED = 100
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file as received: bytes, and what the sender said it is."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass(slots=True)
class Report:
    """What was left out on purpose, and why: the items, with the total kept even when
    the list is cut short."""

    count: int = 0
    items: list[SkippedItem] = field(default_factory=list)

    def add(self, index: int, uid: str | None, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_LISTED:
            self.items.append(SkippedItem(index, uid, message))


class Problems:
    """Line-numbered errors collected over a whole file, raised together at the end."""

    def __init__(self) -> None:
        self.items: list[ErrorItem] = []
        self.count = 0

    def add(
        self, index: int, field_name: str | None, message: str, label: str | None = None
    ) -> None:
        """``label`` names the place in the file for people: ``line 12`` unless given."""
        self.count += 1
        if len(self.items) < MAX_LISTED:
            where = label or f"line {index}"
            self.items.append(ErrorItem(index, field_name, f"{where}: {message}"))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = self.count - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        message = f"{first.message}{also}; nothing was imported"
        raise ValidationFailed(message, field=first.field, details=self.items)


def fail_line(line: int, field_name: str | None, message: str) -> ValidationFailed:
    """One error that stops the import at once (a bad header, an unreadable file)."""
    text = f"line {line}: {message}"
    return ValidationFailed(text, field=field_name, details=[ErrorItem(line, field_name, text)])


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16 with its mark; no NUL characters
    (no text column can hold them)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return without_nul(data.decode("utf-16"))
        except UnicodeDecodeError:
            pass
    else:
        try:
            return without_nul(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise fail_line(line, "file", "the file is not UTF-8 text") from None
    raise ValidationFailed("the file is not UTF-8 or UTF-16 text", field="file")


def without_nul(text: str) -> str:
    at = text.find("\x00")
    if at >= 0:
        raise fail_line(text.count("\n", 0, at) + 1, "file", "the file holds a NUL character")
    return text


def normalize_name(name: str) -> str:
    """Column and resource names compare without case and extra spaces."""
    return re.sub(r"\s+", " ", name).strip().casefold()


@dataclass(slots=True)
class CsvRow:
    line: int
    values: dict[str, str]


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvFile:
    """A CSV file with a header row: comma, semicolon or tab separated (told apart by the
    header line), columns matched by name without case, rows with their line numbers."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        first = next((line for line in self.lines if line.strip()), "")
        if not first:
            raise ValidationFailed("the file is empty", field="file")
        self._reader = csv.reader(iter(self.lines), delimiter=_delimiter(first), strict=True)
        self.header_line = 0
        self.header: list[str] = []
        for raw in self._records():
            if raw[1]:
                self.header_line, self.header = raw[0], [c.strip() for c in raw[1]]
                break
        self.columns = [normalize_name(c) for c in self.header]

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self._reader.line_num + 1
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise fail_line(start, "file", f"not valid CSV ({exc})") from None
            yield start, [] if all(not v.strip() for v in record) else record

    def index_of(self, aliases: dict[str, str]) -> dict[str, int]:
        """Map canonical names to column positions; ``aliases`` maps normalized header
        names to canonical ones. A canonical column given twice is an error."""
        found: dict[str, int] = {}
        for position, name in enumerate(self.columns):
            canonical = aliases.get(name)
            if canonical is None:
                continue
            if canonical in found:
                raise fail_line(
                    self.header_line, self.header[position], f"column {name!r} appears twice"
                )
            found[canonical] = position
        return found

    def rows(self, positions: dict[str, int], problems: Problems) -> Iterator[CsvRow]:
        """Data rows (blank lines skipped) as canonical name -> stripped value."""
        width = len(self.header)
        for line, record in self._records():
            if not record:
                continue
            if len(record) > width and any(v.strip() for v in record[width:]):
                problems.add(line, None, f"{len(record)} fields, but the header has {width}")
                continue
            record = record + [""] * (width - len(record))
            yield CsvRow(line, {name: record[pos].strip() for name, pos in positions.items()})


def fingerprint(*parts: str) -> str:
    """A stable key for an imported row: the same row always gives the same key."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
