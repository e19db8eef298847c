"""The ``connect-hub`` command line: serve, worker, migrate, check-config, status, replay, onboard,
new-connector; plugins add theirs through ``hub_register_commands``."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from connect_hub.errors import HubError

app = typer.Typer(help="connect-hub: keep e-commerce data in sync between systems.", pretty_exceptions_enable=False, no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DEFAULT_CONFIG = "config/embedded.yaml"
ConfigOption = Annotated[Path, typer.Option("--config", "-c", envvar="CONNECT_HUB_CONFIG", help="the account's YAML file")]


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _guard(action: Callable[[], Any]) -> Any:
    """Run ``action``; a hub error becomes one line on stderr and exit code 2, never a traceback."""
    try:
        return action()
    except HubError as exc:
        _fail(str(exc))


LogFormatOption = Annotated[str, typer.Option(
    "--log-format", envvar="CONNECT_HUB_LOG_FORMAT",
    help="text (lines for people) or json (one object per line with account, integration, event or delivery id)",
)]


def _logging(log_format: str = "text", account: str | None = None) -> None:
    from connect_hub.logs import FORMATS, configure

    if log_format not in FORMATS:
        _fail(f"--log-format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    configure(os.environ.get("CONNECT_HUB_LOG_LEVEL", "INFO"), log_format, account=account)


@functools.cache
def _plugins() -> Any:
    """The installed plugins, loaded once per command (a broken one is reported on one line)."""
    from connect_hub.plugins import Plugins

    return Plugins.load()


def _account(config: Path) -> Any:
    from connect_hub.account import build_account
    from connect_hub.config import load_config

    return build_account(load_config(config), _plugins())


def _runtime(config: Any, *, migrate: bool | None = None) -> Any:
    """A Runtime for an account file (or an already loaded AccountConfig). ``migrate`` defaults
    to the embedded mode, which applies migrations by itself."""
    from connect_hub.config import AccountConfig, load_config
    from connect_hub.runtime import Runtime

    cfg = config if isinstance(config, AccountConfig) else load_config(config)
    return Runtime(cfg, _plugins(), migrate=cfg.broker == "memory://" if migrate is None else migrate)


@app.command("check-config")
def check_config(file: Annotated[Path, typer.Argument(help="the account's YAML file")]) -> None:
    """Validate an account file and show what syncs where (data type x integration x direction)."""
    account = _guard(lambda: _account(file))
    table = Table(title=f"account {account.name}: flows")
    for column in ("data type", "integration", "connector", "direction", "timeframe", "first import"):
        table.add_column(column)
    rows = sorted(
        (str(f.data_type), name, i.connector, str(f.direction), _timeframe(f), _first_import(i, f))
        for name, i in account.integrations.items() for f in i.flows
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)
    sources = [name for name, i in account.integrations.items() if i.stock_source]
    if sources:
        console.print(f"stock source: {', '.join(sources)} (stock figures from other integrations are not imported)")
    console.print(f"[green]ok[/]: {file} is valid ({len(account.integrations)} integrations, {len(account.config.rules)} rules)")


def _timeframe(flow: Any) -> str:
    parts = [flow.timeframe]
    if flow.reconcile:
        parts.append(f"+ poll every {flow.reconcile}")
    if flow.batch_size:
        parts.append(f"(batches of {flow.batch_size})")
    return " ".join(parts)


def _first_import(integration: Any, flow: Any) -> str:
    if str(flow.direction) != "import" or flow.poll_every() is None:
        return ""
    seconds = integration.first_import.get(flow.data_type)
    if seconds is None:
        return "all history"
    return f"{seconds / 86400:g} days" if seconds >= 86400 else f"{seconds / 3600:g} hours"


@app.command()
def migrate(config: ConfigOption = Path(DEFAULT_CONFIG)) -> None:
    """Apply the store's schema migrations."""
    from connect_hub.config import load_config
    from connect_hub.store.database import close_store
    from connect_hub.store.database import migrate as run_migrations

    cfg = _guard(lambda: load_config(config))

    async def go() -> None:
        await run_migrations(cfg.store)
        await close_store()

    asyncio.run(go())
    console.print("[green]store is up to date[/]")


@app.command()
def serve(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    simulators: Annotated[bool, typer.Option(help="also run the simulator of every integration whose connector ships one, on the address the account file gives it")] = False,
    workers: Annotated[bool | None, typer.Option(help="run workers in this process (default: yes with the in-process broker)")] = None,
    log_format: LogFormatOption = "text",
) -> None:
    """Run the hub: the HTTP service, plus workers and scheduler in embedded mode."""
    from connect_hub.config import load_config
    from connect_hub.embedded import HubProcess

    _logging(log_format)
    cfg = _guard(lambda: load_config(config))
    _logging(log_format, cfg.account)
    embedded = cfg.broker == "memory://"
    if simulators:
        if not embedded:
            _fail(f"{config}: broker: --simulators runs the embedded hub; use the in-process broker (memory://)")
        from connect_hub.world import running_world

        try:
            with running_world(cfg, plugins=_plugins()) as world:
                _announce(world.hub)
                _announce_simulators(world)
                world.hub.wait_for_signal()
        except (HubError, RuntimeError, OSError) as exc:
            _fail(str(exc))
        return
    runtime = _guard(lambda: _runtime(cfg))
    process = HubProcess(runtime, service=True, workers=embedded if workers is None else workers, scheduler=embedded or bool(workers))
    process.start()
    _announce(process)
    try:
        process.wait_for_signal()
    finally:
        process.stop()


def _say(markup: str) -> None:
    """A line for the person who started the command; a log line of its own in JSON mode."""
    from connect_hub.logs import json_mode

    if json_mode():
        from rich.text import Text

        logging.getLogger("connect_hub.cli").info(Text.from_markup(markup).plain.strip())
    else:
        console.print(markup)


def _announce_simulators(world: Any) -> None:
    for name, simulator in world.simulators.items():
        _say(f"  {simulator.title} for {name}: {simulator.url}")
    if not world.simulators:
        _say("  (no connector of this account ships a simulator)")


def _announce(process: Any) -> None:
    runtime = process.runtime
    mode = "embedded" if runtime.config.broker == "memory://" else "service"
    _say(f"[green]connect-hub[/] account [bold]{runtime.account.name}[/] listening on {process.url} ({mode} mode)")
    for name in runtime.account.integrations:
        _say(f"  webhooks for {name}: {process.url}/webhooks/{name}")
    if runtime.config.admin_token and runtime.config.admin_token.get_secret_value():
        _say(f"  console: {process.url}/console/ (sign in with the admin token)")


@app.command()
def demo(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    orders: Annotated[int, typer.Option(help="how many orders to place in the shop")] = 6,
    timeout: Annotated[float, typer.Option(help="end after this many seconds at the latest")] = 90.0,
    serve_after: Annotated[bool, typer.Option("--serve", help="keep the hub and simulators running after the demo, until Ctrl-C")] = False,
) -> None:
    """Show the whole loop live: shop orders to the warehouse, shipments and stock back to the shop.

    Runs the embedded hub with the simulators the account's connectors ship (a storefront and a
    fulfiller among them) on the account's own SQLite store, started afresh (so every run shows
    the same counts, and ``connect-hub status`` beside it reads the same store), and ends by
    itself with a summary counted from the store (or on Ctrl-C).
    """
    from connect_hub.config import load_config
    from connect_hub.demo import NoDemo, for_world, fresh_store, summary
    from connect_hub.world import running_world

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    cfg = _guard(lambda: load_config(config))
    if cfg.broker != "memory://":
        _fail(f"{config}: broker: the demo runs the embedded hub; use the in-process broker (memory://)")
    try:
        path = fresh_store(cfg.store)
    except NoDemo as exc:
        _fail(f"{config}: store: {exc}")
    except OSError as exc:
        _fail(f"{config}: store: cannot start the demo's store afresh: {exc}")
    console.print(f"the demo's store: {path} (started afresh; `connect-hub status -c {config}` reads it while the demo runs)", soft_wrap=True)
    try:
        with running_world(cfg, pace=3.0, plugins=_plugins()) as world:
            _announce(world.hub)
            _announce_simulators(world)
            show = for_world(world, orders=orders)
            try:
                snapshot = show.run(console, timeout=timeout)
            except KeyboardInterrupt:
                snapshot = show.snapshot()
            code = summary(show, snapshot, console)
            if serve_after:
                console.print("the hub, the shop and the warehouse keep running; Ctrl-C to stop")
                world.hub.wait_for_signal()
    except NoDemo as exc:
        _fail(f"{config}: integrations: {exc}")
    except (HubError, RuntimeError, OSError) as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def worker(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    threads: Annotated[int | None, typer.Option(help="actors of each kind at once, exports four times as many (default: workers.threads)")] = None,
    log_format: LogFormatOption = "text",
) -> None:
    """Run a production worker process (Redis broker): actors and the elected scheduler."""
    from connect_hub.embedded import HubProcess

    _logging(log_format)
    runtime = _guard(lambda: _runtime(config, migrate=False))
    _logging(log_format, runtime.account.name)
    if runtime.config.broker == "memory://":
        _fail(f"{config}: broker: a separate worker needs a shared broker (redis://...); 'serve' runs workers in embedded mode")
    process = HubProcess(runtime, service=False, workers=True, scheduler=True)
    if threads:
        runtime.config.workers.threads = threads
    process.start()
    _say(f"[green]worker[/] for account {runtime.account.name} (pid {os.getpid()}) consuming {runtime.config.broker.split('@')[-1]}")
    try:
        process.wait_for_signal()
    finally:
        process.stop()


@app.command("import")
def import_(
    integration: Annotated[str, typer.Argument(help="the integration to import from")],
    data_type: Annotated[str, typer.Argument(help="orders, products, contacts, stocks...")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
) -> None:
    """Import now: poll an integration page by page (the first time: its whole first import),
    with progress bars, and wait until every item is imported and routed. On an embedded hub a
    second process imports while this one polls (:mod:`connect_hub.import_process`)."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from connect_hub import import_process
    from connect_hub.embedded import HubProcess
    from connect_hub.manifest import DataType
    from connect_hub.pipeline.polling import run_poll
    from connect_hub.store.models import Event, EventState

    _logging()
    logging.getLogger().setLevel(logging.WARNING)
    try:
        kind = DataType(data_type)
    except ValueError:
        _fail(f"unknown data type {data_type!r} (one of: {', '.join(d.value for d in DataType)})")
    runtime = _guard(lambda: _runtime(config))
    target = runtime.account.integration(integration)
    if target is None or not runtime.plugins.implements(target.connector, "hub_poll"):
        _fail(f"{config}: integrations: {integration!r} is no integration that can be polled")
    two_processes = runtime.config.broker == "memory://"  # elsewhere the workers are other processes already
    process = HubProcess(runtime, service=False, workers=not two_processes, scheduler=False)
    process.start()  # the store is migrated before the second process opens it
    importer = import_process.start(config, integration) if two_processes else None
    ids: list[int] = []  # first and last event id of this poll, and how many
    count = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            fetched = progress.add_task(f"fetched from {integration}", total=None)
            imported = progress.add_task("imported", total=None)

            def on_page(page: Any) -> None:
                progress.update(fetched, advance=len(page.items), total=page.total)

            def wake(event_ids: list[int]) -> None:
                nonlocal count
                if not event_ids:
                    return
                ids[:] = [ids[0] if ids else event_ids[0], event_ids[-1]]
                count += len(event_ids)
                if importer is None:  # the second process finds them in the store
                    runtime.actors.send_imports(event_ids)

            def ours(state: str) -> int:
                if not ids:
                    return 0
                query = Event.filter(account=runtime.account.name, integration=integration, id__gte=ids[0], id__lte=ids[1], state=state)
                return runtime.run(query.count())

            runtime.run(run_poll(runtime.account, integration, kind, wake, on_page))
            progress.update(fetched, total=count, completed=count)
            progress.update(imported, total=count)
            while (left := ours(EventState.PENDING)) > 0:
                if importer is not None and not importer.alive():
                    console.print(f"the import process stopped (exit code {importer.exit_code}); this one imports the rest")
                    importer = None
                    import_process.take_over(runtime, integration, ids[0], ids[1])
                progress.update(imported, completed=count - left)
                time.sleep(0.2)
            progress.update(imported, completed=count)
        failed = ours(EventState.FAILED)
        stopped = runtime.run(_poll_error(runtime.account.name, integration, kind))
    finally:
        if importer is not None:
            importer.stop()
        process.stop()
    console.print(f"{count} {data_type} fetched from {integration}; {failed} failed (see connect-hub status)")
    if stopped:
        _fail(
            f"the import of {data_type} from {integration} stopped: {stopped}. What was fetched before is "
            "imported; run the command again to go on from there"
        )


async def _poll_error(account: str, integration: str, data_type: Any) -> str | None:
    """The error the last poll of ``data_type`` from ``integration`` stopped on, if it did."""
    from connect_hub.store.models import Cursor

    cursor = await Cursor.get_or_none(account=account, integration=integration, data_type=str(data_type))
    return cursor.last_error if cursor is not None else None


class NoStoreYet(Exception):
    """The account's store does not exist yet, or has no tables: nothing has run on it."""


def _sqlite_file(url: str) -> Path | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.netloc + parts.path
    return Path(path) if parts.scheme == "sqlite" and path and path != ":memory:" else None


def _with_store(config: Path, work: Callable[[Any], Any]) -> Any:
    """Open the store on a runtime's loop, run ``work(runtime)`` (a coroutine function), close.

    Raises NoStoreYet (with the sentence to show) when there is no store yet: a SQLite file
    that does not exist is not created, and a store without the hub's tables is not read.
    """
    from tortoise.exceptions import OperationalError

    runtime = _guard(lambda: _runtime(config, migrate=False))
    file = _sqlite_file(runtime.config.store)
    if file is not None and not file.exists():
        raise NoStoreYet(f"there is no store yet at {file}: nothing has run on this account. "
                         f"`make run` (the demo) or `connect-hub serve -c {config}` creates it.")
    runtime.start()
    try:
        return runtime.run(work(runtime))
    except OperationalError as exc:
        if "no such table" not in str(exc) and "does not exist" not in str(exc):
            raise
        raise NoStoreYet(f"the store of {config} has no tables yet (the hub creates them when it starts, "
                         f"or `connect-hub migrate -c {config}`)") from None
    finally:
        runtime.stop()


def _store_or_fail(config: Path, work: Callable[[Any], Any]) -> Any:
    try:
        return _with_store(config, work)
    except NoStoreYet as exc:
        _fail(str(exc))


def _wide_console() -> Console:
    """The console, or a wide one when the output is no terminal (a pipe, a file): rich would
    squeeze tables into 80 columns there."""
    return console if console.is_terminal else Console(width=200)


@app.command()
def status(config: ConfigOption = Path(DEFAULT_CONFIG)) -> None:
    """Show integrations, queue depth, and failed and dead deliveries."""
    from connect_hub.broker import QUEUE
    from connect_hub.status import account_status, queue_depth
    from connect_hub.store.models import Delivery, DeliveryState, Notice, RuleDecision

    async def gather(rt: Any) -> tuple[dict[str, Any], list[Any], list[Any], list[Any]]:
        data = await account_status(rt.account, queue_depth(rt.broker, QUEUE))
        bad = await Delivery.filter(account=rt.account.name, state__in=[DeliveryState.FAILED, DeliveryState.DEAD, DeliveryState.SKIPPED]).order_by("-id").limit(20)
        notices = await Notice.filter(account=rt.account.name).order_by("-id").limit(10)
        blocks = await RuleDecision.filter(account=rt.account.name, stage="import", blocked_by__isnull=False).order_by("-id").limit(10)
        return data, bad, notices, blocks

    try:
        data, bad, notices, blocks = _with_store(config, gather)
    except NoStoreYet as exc:
        console.print(str(exc), soft_wrap=True, highlight=False)
        return
    out = _wide_console()
    table = Table(title=f"account {data['account']}  (queue depth: {data['queue_depth'] if data['queue_depth'] is not None else 'n/a'})")
    for column in ("integration", "connector", "events pending", "events failed", "pending", "done", "skipped", "failed", "dead"):
        table.add_column(column)
    for name, row in data["integrations"].items():
        d, e = row["deliveries"], row["events"]
        table.add_row(
            name, str(row.get("connector", "?")), str(e.get("pending", 0)), _red(e.get("failed", 0)),
            str(d.get("pending", 0) + d.get("running", 0)), str(d.get("done", 0)), str(d.get("skipped", 0)),
            _red(d.get("failed", 0)), _red(d.get("dead", 0)),
        )
    out.print(table)
    for warning in data["store_warnings"]:
        out.print(f"[bold yellow]store:[/] {warning}", soft_wrap=True, highlight=False)
    if bad:
        problems = Table(title="recent failed, dead and skipped deliveries")
        for column in ("delivery", "integration", "record", "state", "attempts", "rule", "why"):
            problems.add_column(column)
        for d in bad:
            problems.add_row(str(d.id), d.integration, str(d.record_id), d.state, str(d.attempts), d.blocked_by or "", (d.last_error or d.reason or "")[:120])
        out.print(problems)
    if blocks:
        blocked = Table(title="recent imports blocked by rules")
        for column in ("event", "integration", "data type", "rule"):
            blocked.add_column(column)
        for b in blocks:
            blocked.add_row(str(b.event_id or ""), b.integration, b.data_type, b.blocked_by)
        out.print(blocked)
    if notices:
        recent = Table(title="recent notices from the connectors")
        for column in ("when", "integration", "kind", "message"):
            recent.add_column(column)
        for n in notices:
            recent.add_row(n.created_at.strftime("%Y-%m-%d %H:%M:%S"), n.integration, f"[bold yellow]{n.kind}[/]", n.message[:160])
        out.print(recent)


rules_app = typer.Typer(help="Rules: try them on a stored record or a sample, writing nothing.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("test")
def rules_test(
    record: Annotated[int | None, typer.Option("--record", help="a record id from the store")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="a JSON sample: an object, or {data_type, object}")] = None,
    data_type: Annotated[str | None, typer.Option("--data-type", help="the sample's data type (default: orders)")] = None,
    integration: Annotated[str | None, typer.Option("--integration", help="only this integration")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="import or export (default: both)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    config: ConfigOption = Path(DEFAULT_CONFIG),
) -> None:
    """Show which rules match an object, the object before and after, and what would be blocked."""
    import json

    from connect_hub.rules.dry_run import dry_run_record, dry_run_sample

    if (record is None) == (file is None):
        _fail("give --record ID or --file sample.json")
    if file is not None:
        try:
            sample = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"{file}: cannot read the sample ({exc})")
        account = _guard(lambda: _account(config))
        report = _guard(lambda: dry_run_sample(account, sample, data_type=data_type, integration=integration, stage=stage))
    else:
        async def go(rt: Any) -> dict[str, Any]:
            return await dry_run_record(rt.account, record, integration=integration, stage=stage)

        report = _guard(lambda: _store_or_fail(config, go))
    if as_json:
        console.print_json(data=report)
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    for step in report["steps"]:
        head = f"[bold]{step['stage']}[/] {'from' if step['stage'] == 'import' else 'to'} {step['integration']}"
        if step.get("error"):
            console.print(f"{head}: [bold red]error[/] {step['error']}")
            continue
        matched = ", ".join(repr(m) for m in step["matched"]) or "no rule matched"
        console.print(f"{head}: {matched}")
        for change in step["changes"]:
            console.print(f"  {change['rule']}: {change['field']}: {change['before']!r} -> {change['after']!r}")
        for effect in step["effects"]:
            console.print(f"  {effect}")
        if step["blocked_by"]:
            console.print(f"  [bold yellow]blocked by rule {step['blocked_by']!r}[/]")
        if step.get("problem"):
            console.print(f"  [bold red]{step['problem']}[/]")
    console.print("[bold]before[/]")
    console.print_json(data=report["before"])
    last = next((s for s in reversed(report["steps"]) if "after" in s), None)
    if last is not None:
        console.print("[bold]after[/]")
        console.print_json(data=last["after"])
    blocked = report["blocked"]
    console.print("blocked: " + ("; ".join(f"{b['stage']} {b['integration']} by rule {b['rule']!r}" for b in blocked) or "nothing"))
    console.print("(dry run: nothing was written and no action was run)")


def _red(n: int) -> str:
    return f"[bold red]{n}[/]" if n else "0"


@app.command()
def replay(
    deliveries: Annotated[list[int] | None, typer.Argument(help="the deliveries to replay")] = None,
    event: Annotated[list[int] | None, typer.Option("--event", help="replay this failed event (parse and merge it again); repeat for several")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="replay every failed and dead delivery and every failed event")] = False,
    config: ConfigOption = Path(DEFAULT_CONFIG),
) -> None:
    """Put failed or dead work back to pending with fresh tries, and wake a worker."""
    from connect_hub.pipeline import replay as replaying

    given = [bool(deliveries), bool(event), all_failed]
    if sum(given) != 1:
        _fail("give delivery ids, or --event ID (repeatable), or --all-failed")

    async def go(rt: Any) -> tuple[list[int], list[int]]:
        name = rt.account.name
        if all_failed:
            return await replaying.replay_failed_deliveries(name), await replaying.replay_failed_events(name)
        if event:
            return [], [i for i in event if await replaying.replay_event(name, i)]
        return [i for i in deliveries or [] if await replaying.replay_delivery(name, i)], []

    replayed, events = _store_or_fail(config, go_and_send(go))
    if not all_failed and not replayed and not events:
        asked = event or deliveries or []
        what = "event" if event else "delivery"
        _fail(f"{what} {', '.join(map(str, asked))} {'is' if len(asked) == 1 else 'are'} not failed or dead (see 'connect-hub status')")
    console.print(f"replayed {len(replayed)} deliveries: {', '.join(map(str, replayed)) or 'none'}")
    console.print(f"replayed {len(events)} events: {', '.join(map(str, events)) or 'none'}")


def go_and_send(go: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Send the replayed ids to a shared broker; with the in-process one the running hub's
    sweeper picks them up within one interval."""

    async def wrapped(rt: Any) -> tuple[list[int], list[int]]:
        deliveries, events = await go(rt)
        if rt.config.broker != "memory://":
            for delivery_id in deliveries:
                rt.actors.send_export(delivery_id)
            for event_id in events:
                rt.actors.send_import(event_id)
        return deliveries, events

    return wrapped


@app.command()
def onboard(integration: Annotated[str, typer.Argument(help="the integration to check")], config: ConfigOption = Path(DEFAULT_CONFIG)) -> None:
    """Check that an integration's remote system is reachable and its settings work."""
    account = _guard(lambda: _account(config))
    target = account.integration(integration)
    if target is None:
        _fail(f"{config}: integrations: no integration named {integration!r}")

    async def go() -> list[Any]:
        from connect_hub.stock_preview import first_stock_sync

        for each in account.integrations.values():
            await account.plugins.start(each)
        try:
            checks = await account.plugins.onboard_check(target)
            if all(c.ok for c in checks):
                checks += await first_stock_sync(account, target)
            return checks
        finally:
            for each in account.integrations.values():
                await account.plugins.stop(each)

    checks = asyncio.run(go())
    for check in checks:
        mark = "[green]ok[/]" if check.ok else "[bold red]failed[/]"
        console.print(f"{mark} {check.name}: {check.message}")
    if any(not c.ok for c in checks):
        raise typer.Exit(1)


@app.command("new-connector")
def new_connector(
    name: Annotated[str, typer.Argument(help="the connector's name, e.g. my_crm (what connector: names in YAML)")],
    path: Annotated[Path | None, typer.Option(help="where to write it (default: ./connect-hub-NAME)")] = None,
) -> None:
    """Write a connector package (manifest, client, mapping, webhooks, hooks, a fake, tests)
    that installs and passes the hub's contract suite as it is."""
    from connect_hub.scaffold import ScaffoldError, placeholders, write_connector

    try:
        target = path or Path(placeholders(name)["dist"])
        written = write_connector(name, target)
    except (ScaffoldError, OSError) as exc:
        _fail(str(exc))
    for file in written:
        console.print(f"  {file}")
    console.print(f"[green]wrote[/] {target}: cd {target} && pip install -e '.[test]' && pytest")
    console.print("Then make client.py and mapping.py speak to the real system: docs/connector-reference.md")


def register_plugin_commands() -> None:
    """Add the commands plugins ship (``hub_register_commands``) to the command line."""
    from connect_hub.commands import CommandRegistry

    _plugins().register_commands(CommandRegistry(app))


def main() -> None:
    register_plugin_commands()
    try:
        app()
    except HubError as exc:
        err.print(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
