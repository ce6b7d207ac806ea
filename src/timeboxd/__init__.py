"""timeboxd: plan time in blocks, track it, and see honest progress."""

__version__ = "0.1.0"
API_VERSION = "1"
