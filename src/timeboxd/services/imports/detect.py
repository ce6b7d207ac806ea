"""What kind of file an upload is: from the format asked for, its content type, its
name, and finally its first bytes."""

from __future__ import annotations

from typing import Literal

from timeboxd.services.imports.common import CsvFile, Upload, decode
from timeboxd.services.imports.entries_csv import source_of

BlockFormat = Literal["csv", "ics"]
FileKind = Literal["csv", "ics", "toggl", "clockify"]

ICS_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar", "application/x-ical"}
CSV_TYPES = {
    "text/csv",
    "application/csv",
    "text/comma-separated-values",
    "text/x-csv",
    "application/vnd.ms-excel",  # what browsers on Windows send for a .csv file
}
ICS_SUFFIXES = (".ics", ".ical", ".icalendar", ".ifb")


def looks_like_ics(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith(b"BEGIN:VCALENDAR")


def block_format(upload: Upload) -> BlockFormat:
    ctype = (upload.content_type or "").split(";")[0].strip().lower()
    if ctype in ICS_TYPES:
        return "ics"
    if ctype in CSV_TYPES:
        return "csv"
    name = (upload.filename or "").lower()
    if name.endswith(ICS_SUFFIXES):
        return "ics"
    if name.endswith(".csv"):
        return "csv"
    return "ics" if looks_like_ics(upload.data) else "csv"


def file_kind(upload: Upload) -> FileKind:
    """For the command line: a calendar, a syllabus, or a Toggl or Clockify export
    (told apart by the columns of the header)."""
    if block_format(upload) == "ics":
        return "ics"
    source = source_of(CsvFile(decode(upload.data)).columns)
    return source or "csv"
