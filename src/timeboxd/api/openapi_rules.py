"""Rules the server applies to every input, written into the OpenAPI document so that it
describes what the server accepts: no text holds U+0000 (``api.middleware`` refuses it in
the path, the query and any JSON body)."""

from __future__ import annotations

from typing import Any

NO_NUL = "^[^\\x00]*$"
REF_PREFIX = "#/components/schemas/"


def forbid_nul_in_inputs(document: dict[str, Any]) -> None:
    """Give every free-text string a request can carry (path and query parameters, and the
    bodies' schemas with whatever they refer to) the pattern ``NO_NUL``. A string with a
    pattern, a format or fixed values already excludes U+0000."""
    components: dict[str, Any] = document.get("components", {}).get("schemas", {})
    pending: list[Any] = []
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") in ("path", "query"):
                    pending.append(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                pending.append(media.get("schema"))
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX) and ref not in seen:
            seen.add(ref)
            pending.append(components.get(ref.removeprefix(REF_PREFIX)))
        if _is_free_text(node):
            node["pattern"] = NO_NUL
        for key, value in node.items():
            if key not in ("$ref", "examples", "example", "default", "const", "enum"):
                pending.append(value)


def _is_free_text(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    return is_string and not any(k in node for k in ("pattern", "format", "enum", "const"))
