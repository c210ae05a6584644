"""``sparkhu retention serve`` (the HTTP service) and ``sparkhu retention token hash`` (its token helper).

The service lives in the top-level ``services`` package, which the library never imports: uvicorn is given
the application factory as an import string.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Annotated

import typer

from sparkhu.cli.errors import fail
from sparkhu.cli.retention import retention_app

APP_FACTORY = "services.retention.app:create_app"
"""The retention service's application factory, as uvicorn imports it."""

token_app = typer.Typer(help="Tokens of the retention service (only their SHA-256 digests are configured).",
                        no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
) -> None:
    """Run the retention service (HTTP API with token auth; see docs/retention.md).

    Refuses to start without tokens: set SPARKHU_RETENTION_TOKENS or SPARKHU_RETENTION_TOKENS_FILE.
    """
    import uvicorn

    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, proxy_headers=False)
    try:
        config.load()  # builds the app now, so that a bad token configuration is a one-line error
    except ImportError as error:
        fail(f"the retention service is not installed ({error}): install sparkhu with its `services` package")
    except ValueError as error:
        fail(f"the retention service cannot start: {error}")
    uvicorn.Server(config).run()


@token_app.command("hash")
def hash_token(
    name: Annotated[str | None, typer.Option("--name", help="Print a whole entry for this token name.")] = None,
    scope: Annotated[str, typer.Option("--scope", help="The entry's scope: read or admin.")] = "read",
) -> None:
    """Read a token on standard input and print its SHA-256 digest (or a `name:scope:digest` entry)."""
    if scope not in ("read", "admin"):
        fail(f"unknown scope {scope!r}; known: read, admin")
    token = (typer.prompt("token", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not token:
        fail("no token given on standard input")
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    typer.echo(f"{name}:{scope}:{digest}" if name else digest)


def register(app: typer.Typer) -> None:
    """Attach ``serve`` and ``token`` to the ``retention`` group (which ``sparkhu.cli.retention`` registers)."""
    del app  # the commands join the retention group, not the root
    retention_app.command("serve")(serve)
    retention_app.add_typer(token_app, name="token")
