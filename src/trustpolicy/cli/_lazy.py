"""A click group whose server-side commands are imported only when they are run.

A client-only install (without ``trustpolicy[server]``) still has ``decide``, ``explain``,
``provisions``, ``test``, ``report``, ``token`` and ``setup``; a server-side command then
says which extra to install instead of failing with a traceback.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LazyGroup"]


def _needs_server(name: str, missing: str | None) -> click.Command:
    def refuse(**_options: Any) -> None:
        raise click.UsageError(
            f"'trustpolicy {name}' needs the server extra ({missing} is not installed): "
            "pip install 'trustpolicy[server]'"
        )

    return click.Command(
        name,
        callback=refuse,
        help=f"(needs: pip install 'trustpolicy[server]'; {missing} is missing)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["args"], nargs=-1, required=False)],
    )


class LazyGroup(click.Group):
    """A group with extra commands given as ``name -> "module:attribute"``."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except ModuleNotFoundError as exc:
            if exc.name is not None and exc.name.startswith("trustpolicy"):
                raise
            return _needs_server(cmd_name, exc.name)
        if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        return command
