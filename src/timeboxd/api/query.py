"""Query strings validated as one pydantic model.

FastAPI validates each declared query parameter on its own, which costs more than the
whole of a short list request; a model validates them all at once. ``query(Model)`` is the
dependency, and ``_openapi`` in ``api.app`` lists the model's fields as the route's query
parameters (``openapi_parameters``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def query(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    async def dependency(request: Request) -> M:
        params = request.query_params
        # Every parameter holds one value (lists are comma-separated): a repeated one is
        # refused rather than silently read as its last value.
        for name in model.model_fields:
            if len(params.getlist(name)) > 1:
                error = {"type": "value_error", "loc": ("query", name), "input": None}
                raise RequestValidationError([{**error, "msg": f"give {name} once"}])
        try:
            return model.model_validate({k: params[k] for k in params})
        except ValidationError as exc:
            errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None

    dependency.query_model = model  # type: ignore[attr-defined]
    return dependency


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            param["description"] = prop.pop("description")
        param["schema"] = prop
        out.append(param)
    return out
