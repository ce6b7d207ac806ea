"""Schemathesis against the app's own OpenAPI document: generated requests to every
operation, with a valid key; no 5xx, and every response as the document describes it.

Bounded so that it ends in about a minute per backend (a few examples an operation, valid
and invalid, derandomized so that a run is repeatable)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import load_all_checks
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import Persona

load_all_checks()
EXAMPLES = 15


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(
    app: Any, owner: Persona, mode: GenerationMode
) -> None:
    """Positive: data that fits the schema. Negative: data that does not, which must be
    refused with a 4xx in the envelope (the ``negative_data_rejection`` check), never 5xx."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        raw = operation.definition.raw
        if mode is GenerationMode.NEGATIVE and not raw.get("parameters", raw.get("requestBody")):
            continue  # /health, /ready: there is no input to get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
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
