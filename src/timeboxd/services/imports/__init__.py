"""Imports: files from elsewhere (a syllabus CSV, an iCalendar file, Toggl and Clockify
exports) turned into blocks and time entries through the same services as the API.

Every face hands an import the same unit of work, dry run or not: the import decides what
a dry run is (the file read, checked and compared, the same report, nothing written), so
a dry run in a write unit commits nothing.

May import: ``accounts``, ``catalog``, ``planning`` and ``tracking`` (every row is written
by their service functions, the bulk ones included), the shared modules of ``services``,
``db`` and ``domain``. Never ``insights``."""
