"""Imports: files from elsewhere (a syllabus CSV, an iCalendar file, Toggl and Clockify
exports) turned into blocks and time entries through the same services as the API."""
