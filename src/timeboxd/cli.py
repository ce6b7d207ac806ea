"""The ``timeboxd`` command (SPEC §4).

Two kinds of command share the program. The operator commands (``serve``, ``demo``,
``import``...) work on the configured database and load the server's code
(``timeboxd.cli_operator``); the client commands (``agenda``, ``done``, ``stats``,
``timer``) talk to a server over HTTP and load only the client (``timeboxd.cli_client``).
The operator commands are loaded when one of them is named (or the help lists them), so a
client command starts in the time it takes to import httpx, not SQLAlchemy and the app."""

from __future__ import annotations

import sys

import click

from timeboxd.cli_client import register as register_client_commands

OPERATOR_COMMANDS = (
    "backup",
    "db",
    "demo",
    "import",
    "keys",
    "mcp",
    "restore",
    "serve",
    "users",
    "worker",
)


class Program(click.Group):
    """The client commands, plus the operator commands loaded on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *OPERATOR_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in OPERATOR_COMMANDS:
            from timeboxd.cli_operator import commands

            return commands.get_command(ctx, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Program)
@click.version_option(package_name="timeboxd")
def main() -> None:
    """timeboxd: plan time in blocks, track it, see honest progress."""


register_client_commands(main)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
