"""Use cases: (session, principal, typed input) -> typed output. The only users of ``db``."""
