"""Imports flow one way (docs/architecture.md): faces (api, cli) -> services -> domain, and
only services touch db. Read from the source with ``ast``: every import of every module
under src/timeboxd, lazy ones inside functions included, each resolved to the module it
names, so a rule broken anywhere is named with the module that breaks it."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

import timeboxd

SRC = Path(timeboxd.__file__).resolve().parent
ROOT = "timeboxd"
FACES = (
    "timeboxd.api",
    "timeboxd.cli",
    "timeboxd.cli_client",
    "timeboxd.cli_operator",
    "timeboxd.mcp",
    "timeboxd.web",
)
S = "timeboxd.services"

# The modules every service package may use: the shared modules of ``services`` (accounts
# is allowed only some of them, see below) and the layers beneath. ``errors`` (domain errors
# with a code) and ``schemas`` (the typed inputs and outputs of every use case) are shared
# by all layers.
SHARED = tuple(
    f"{S}.{m}" for m in ("context", "database", "idempotency", "outbox", "paging", "versioning")
)
BENEATH = ("timeboxd.db", "timeboxd.domain", "timeboxd.errors", "timeboxd.schemas")

# What each services package may import besides itself and BENEATH, as its __init__
# docstring says ("May import: ..."); a sibling is named as the docstring names it.
SIBLINGS: dict[str, tuple[str, ...]] = {
    "accounts": ("planning.calendar",),
    "catalog": ("accounts",),
    "planning": ("accounts", "catalog"),
    "tracking": ("accounts", "catalog"),
    "insights": ("accounts", "tracking.entries"),
    # Its docstring has no "May import" line: it turns files into blocks and entries
    # "through the same services as the API", and insights says nothing imports it but
    # the faces, so: the packages that own blocks, entries and what they point at.
    "imports": ("accounts", "catalog", "planning", "tracking"),
    "events": ("accounts",),
    "crm": ("accounts", "catalog"),
    "admin": ("accounts",),
}
SHARED_FOR = {
    package: (f"{S}.context", f"{S}.paging", f"{S}.versioning") if package == "accounts" else SHARED
    for package in SIBLINGS
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@cache
def imports_of(module: str) -> frozenset[str]:
    """The timeboxd modules ``module`` imports (``from x import y`` names ``x.y`` when that
    is a module, ``x`` otherwise)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return frozenset(name for name in found if within(name, ROOT))


def offences(modules: Iterable[str], allowed: tuple[str, ...]) -> list[str]:
    """Each import of ``modules`` that is not within ``allowed``, as "importer -> imported"."""
    return sorted(
        f"{module} -> {imported}"
        for module in modules
        for imported in imports_of(module)
        if not within(imported, *allowed)
    )


def modules_in(*prefixes: str) -> list[str]:
    return [m for m in MODULES if within(m, *prefixes)]


def test_every_module_is_read() -> None:
    assert {"timeboxd.domain.wallclock", "timeboxd.db.models", f"{S}.catalog.projects"} <= set(
        MODULES
    )
    # ``from timeboxd.services.planning import calendar`` names the module it imports.
    assert f"{S}.planning.calendar" in imports_of(f"{S}.accounts.users")


def test_domain_imports_nothing_of_timeboxd_but_domain() -> None:
    assert offences(modules_in("timeboxd.domain"), ("timeboxd.domain",)) == []


def test_db_imports_nothing_from_services_api_or_schemas() -> None:
    forbidden = (S, "timeboxd.api", "timeboxd.schemas", *FACES)
    found = [
        f"{m} -> {i}"
        for m in modules_in("timeboxd.db")
        for i in sorted(imports_of(m))
        if within(i, *forbidden)
    ]
    assert found == []


def test_only_services_import_db() -> None:
    """db/__init__: "Only ``timeboxd.services`` imports this"."""
    found = [
        f"{m} -> {i}"
        for m in MODULES
        if not within(m, S, "timeboxd.db")
        for i in sorted(imports_of(m))
        if within(i, "timeboxd.db")
    ]
    assert found == []


def test_services_never_import_a_face() -> None:
    found = [
        f"{m} -> {i}" for m in modules_in(S) for i in sorted(imports_of(m)) if within(i, *FACES)
    ]
    assert found == []


@pytest.mark.parametrize("package", sorted(SIBLINGS))
def test_each_services_package_imports_what_its_docstring_allows(package: str) -> None:
    siblings = tuple(f"{S}.{name}" for name in SIBLINGS[package])
    allowed = (f"{S}.{package}", *siblings, *SHARED_FOR[package], *BENEATH)
    assert offences(modules_in(f"{S}.{package}"), allowed) == []


@pytest.mark.parametrize("package", sorted(set(SIBLINGS) - {"imports"}))
def test_the_allowed_siblings_are_the_ones_the_docstring_names(package: str) -> None:
    """The table above permits no more than the package says it may import."""
    doc = ast.get_docstring(ast.parse(MODULES[f"{S}.{package}"].read_text())) or ""
    may_import = doc.partition("May import:")[2]
    assert may_import, f"{package}/__init__.py says what it may import"
    assert [n for n in SIBLINGS[package] if f"``{n}``" not in may_import] == []


def test_shared_service_modules_import_no_service_package() -> None:
    assert offences(SHARED, (*SHARED, *BENEATH)) == []


def test_nothing_imports_insights_but_the_faces() -> None:
    """insights/__init__: "Nothing imports ``insights`` but the faces"."""
    found = [
        f"{m} -> {i}"
        for m in MODULES
        if not within(m, f"{S}.insights", *FACES)
        for i in sorted(imports_of(m))
        if within(i, f"{S}.insights")
    ]
    assert found == []
