"""Schemathesis against the app's own OpenAPI document: generated requests to every
operation, with a valid key; no 5xx, and every response as the document describes it.

Bounded so that it ends in well under a minute per backend (a few examples an operation,
derandomized so that a run is repeatable)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import Persona

load_all_checks()
EXAMPLES = 15


def test_every_operation_answers_as_documented(app: Any, owner: Persona) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            # Data that fits the schema may still be refused with a 4xx for reasons a schema
            # cannot say (an unknown id, a time in a daylight-saving gap): that check is off.
            case.call_and_validate(
                headers=owner.headers, excluded_checks=[positive_data_acceptance]
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:2000]
    assert operations > 40
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
