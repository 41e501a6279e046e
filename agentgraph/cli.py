"""`agentgraph`: serve, migrate, downgrade, create-superuser, seed-demo, export-schema.

Every failure a user can cause ends in one line on stderr and a non-zero exit, never a traceback.
Each command imports what it runs when it runs, so `--help` and usage errors answer at once
without loading the server (uvicorn, Strawberry, SQLAlchemy).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from agentgraph.console import CommandError, say
from agentgraph.settings import Settings
from domain.errors import DomainError

EXIT_USAGE = 2
EXIT_FAILURE = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"agentgraph: {message} (see 'agentgraph --help')\n")


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as error:  # pydantic's ValidationError, shown as one line
        first = str(error).splitlines()
        raise CommandError(f"invalid configuration: {' '.join(first[:3])}") from error


def _database_url(settings: Settings) -> str:
    from agentgraph.bootstrap import resolve_database_url

    if not settings.database_url:
        say(f"starting the embedded PostgreSQL in {settings.data_dir / 'postgres'}")
    return resolve_database_url(settings)


def _check_reachable(url: str) -> None:
    from agentgraph.preflight import check_database

    asyncio.run(check_database(url))


def _migrate_to(url: str, revision: str) -> None:
    from agentgraph import migrate

    say(f"migrating the database to {revision}")
    migrate.upgrade(url, revision)
    say("migrations done")


def exposure_warning(host: str, settings: Settings) -> str | None:
    """The warning `serve` prints when development mode (GraphiQL, introspection, suggestions)
    listens beyond this machine."""
    if settings.is_production:
        return None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a host name: it may resolve anywhere
    if loopback:
        return None
    return (
        f"agentgraph: warning: listening on {host} in development mode "
        "(GraphiQL, introspection); set AGENTGRAPH_ENV=production to serve beyond this machine"
    )


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from agentgraph.bootstrap import create_app, trusted_documents, tune_garbage_collection
    from agentgraph.logs import configure_logging, url_password
    from agentgraph.serving import GracefulServer, raise_open_files_limit
    from agentgraph.tracing import configure_from_environment
    from agentgraph.websocket_protocol import WS_PROTOCOL
    from gql.trusted_documents import BadManifest

    raise_open_files_limit()  # before any worker starts: they inherit it
    settings = _settings()
    try:
        trusted_documents(settings)  # before anything starts: a bad manifest is one line
    except BadManifest as error:
        raise CommandError(f"AGENTGRAPH_TRUSTED_DOCUMENTS: {error}") from error
    redactor = configure_logging(settings)
    configure_from_environment()  # OTEL_*: before the app, which traces when a provider is set
    warning = exposure_warning(args.host, settings)
    if warning is not None:
        print(warning, file=sys.stderr)
    url = _database_url(settings)
    redactor.add(url_password(url))
    _check_reachable(url)
    _migrate_to(url, "head")
    if args.demo:
        from agentgraph.demo import load_demo_fleet

        asyncio.run(load_demo_fleet(url, settings, report=say, only_if_empty=True))
    if args.workers > 1:
        from agentgraph.workers import serve_workers

        say(f"serving http://{args.host}:{args.port}/ with {args.workers} worker processes")
        serve_workers(settings, url, args.host, args.port, args.workers)
        return
    app = create_app(settings, database_url=url)
    redactor.add(app.state.services.tokens.secret_key)  # generated when not configured
    tune_garbage_collection()
    # uvicorn re-raises SIGTERM after its graceful shutdown; with the default handler the process
    # would die without running exit handlers, leaving the embedded PostgreSQL running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say(f"serving http://{args.host}:{args.port}/ (the dashboard) and /graphql (API, GraphiQL)")
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        log_config=None,  # the root logger's handler (agentgraph/logs.py) writes uvicorn's too
        # A log line per request costs more than the fleet query's Python side; requests are
        # counted in /metrics instead.
        access_log=False,
        # Forwarded headers are the app's to believe, from AGENTGRAPH_TRUSTED_PROXIES only
        # (uvicorn's default would trust them from 127.0.0.1).
        proxy_headers=False,
        http="httptools",
        ws=WS_PROTOCOL,
        # WebSocket-level pings keep idle subscriptions alive through proxies and find dead peers.
        ws_ping_interval=settings.ws_keepalive_s,
        ws_ping_timeout=settings.ws_keepalive_s,
        ws_max_size=settings.max_body_bytes,
        ws_per_message_deflate=settings.ws_compression,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    GracefulServer(config, app.state.services.hub.sessions).run()


def cmd_migrate(args: argparse.Namespace) -> None:
    url = _database_url(_settings())
    _check_reachable(url)
    _migrate_to(url, args.revision)


def cmd_downgrade(args: argparse.Namespace) -> None:
    from agentgraph import migrate

    url = _database_url(_settings())
    _check_reachable(url)
    say(f"downgrading the database to {args.revision}")
    migrate.downgrade(url, args.revision)
    say("downgrade done")


def cmd_create_superuser(args: argparse.Namespace) -> None:
    from agentgraph.admin import check_credentials, create_superuser

    check_credentials(args.email, args.password)  # before touching any database
    settings = _settings()
    url = _database_url(settings)
    _check_reachable(url)
    _migrate_to(url, "head")
    created = asyncio.run(create_superuser(url, args.email, args.password))
    say(f"superuser {args.email} {'created' if created else 'updated (new password set)'}")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from agentgraph.demo import load_demo_fleet

    settings = _settings()
    url = _database_url(settings)
    _check_reachable(url)
    _migrate_to(url, "head")
    asyncio.run(load_demo_fleet(url, settings, report=say))


def cmd_export_schema(args: argparse.Namespace) -> None:
    from gql.schema import export_sdl

    sys.stdout.write(export_sdl())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="agentgraph", description="Agentgraph: the control plane for AI agents.")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    serve = commands.add_parser(
        "serve", help="migrate, then serve /graphql, /healthz, /readyz, /metrics"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="load the demo fleet if the database is empty"
    )
    serve.add_argument(
        "--workers", type=_positive, default=1, help="server processes sharing the port (default 1)"
    )
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(run=cmd_migrate)

    downgrade = commands.add_parser("downgrade", help="downgrade the database schema to REV")
    downgrade.add_argument("revision", metavar="REV")
    downgrade.set_defaults(run=cmd_downgrade)

    superuser = commands.add_parser("create-superuser", help="create or update a superuser")
    superuser.add_argument("--email", required=True)
    superuser.add_argument("--password", required=True)
    superuser.set_defaults(run=cmd_create_superuser)

    seed = commands.add_parser("seed-demo", help="load the demo fleet (refuses to duplicate it)")
    seed.set_defaults(run=cmd_seed_demo)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(run=cmd_export_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], None] = args.run
    try:
        run(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except CommandError as error:
        print(f"agentgraph: {error}", file=sys.stderr)
        sys.exit(EXIT_FAILURE)
    except Exception as error:
        message = error.message if isinstance(error, DomainError) else _describe(error)
        print(f"agentgraph: {message}", file=sys.stderr)
        sys.exit(EXIT_FAILURE)


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    detail = text[0] if text else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
