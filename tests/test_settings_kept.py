"""The configuration is kept: every setting the account file accepts has a test showing its effect.

``EFFECTS`` names, for each setting of the account file, the test that would fail if the hub
ignored it; the first test here checks that every setting is named and every named test exists,
so a new setting cannot be added without one. The tests below are those no other module had.
Connector settings are checked per connector (their manifests' typed settings, test_config.py).
"""

from __future__ import annotations

import ast
import socket
import socketserver
import threading
import time
import typing
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from connect_hub.config import AccountConfig, SmtpConfig, parse_config
from connect_hub.embedded import HubProcess
from connect_hub.rules.effects import _smtp_send
from connect_hub.runtime import Runtime
from pydantic import BaseModel, SecretStr
from support import ENV, account_yaml

TESTS = Path(__file__).parent

EFFECTS: dict[str, str] = {
    "account": "test_store_and_pipeline.py::test_accounts_never_see_each_others_records",
    "store": "test_store_and_pipeline.py::test_a_new_order_creates_a_record_and_one_delivery_to_the_warehouse",
    "broker": "test_production_shape.py::test_production_shape_delivers_once_and_survives_kill_9_of_a_worker",
    "secret_key": "test_secrets.py::test_derived_webhook_secrets_differ_per_integration_and_need_the_hub_key",
    "admin_token": "test_secrets.py::test_the_admin_api_needs_the_bearer_token",
    "service.host": "test_settings_kept.py::test_the_service_listens_on_the_host_and_port_it_is_given",
    "service.port": "test_settings_kept.py::test_the_service_listens_on_the_host_and_port_it_is_given",
    "service.public_url": "test_shop_against_sandbox.py::test_onboarding_registers_the_webhooks_and_the_shop_pings_the_hub",
    "service.pacing.backlog_limit": "test_webhook_pacing.py::test_a_stored_webhooks_answer_waits_while_the_actors_are_behind_and_every_order_arrives_once",
    "service.pacing.longest_hold": "test_webhook_pacing.py::test_a_stored_webhooks_answer_waits_while_the_actors_are_behind_and_every_order_arrives_once",
    "workers.threads": "test_settings_kept.py::test_the_workers_run_as_many_actors_at_once_as_configured",
    "delivery.max_attempts": "test_store_and_pipeline.py::test_a_transient_error_is_retried_then_dead_with_its_error",
    "delivery.backoff_base": "test_settings_kept.py::test_retries_wait_backoff_base_doubling_up_to_backoff_max",
    "delivery.backoff_max": "test_settings_kept.py::test_retries_wait_backoff_base_doubling_up_to_backoff_max",
    "delivery.lease": "test_store_and_pipeline.py::test_a_crashed_workers_delivery_is_found_by_the_sweeper_after_its_lease",
    "sweeper.interval": "test_settings_kept.py::test_the_scheduler_ticks_every_sweeper_interval",
    "sweeper.stale_after": "test_store_and_pipeline.py::test_a_crashed_workers_delivery_is_found_by_the_sweeper_after_its_lease",
    "maintenance.interval": "test_settings_kept.py::test_maintenance_runs_every_interval_and_onboards_at_start_only_when_asked",
    "maintenance.at_start": "test_settings_kept.py::test_maintenance_runs_every_interval_and_onboards_at_start_only_when_asked",
    "polling.lease": "test_settings_kept.py::test_a_running_poll_holds_its_cursor_for_the_polling_lease",
    "integrations.connector": "test_config.py::test_an_unknown_connector_names_the_known_ones",
    "integrations.preset": "test_presets.py::test_yaml_overrides_directions_timeframes_and_look_backs",
    "integrations.settings": "test_config.py::test_settings_reach_the_connector_as_their_types",
    "integrations.enabled": "test_settings_kept.py::test_a_disabled_integration_is_not_run",
    "integrations.flows": "test_presets.py::test_an_interval_on_a_realtime_import_polls_that_often_and_nothing_else",
    "integrations.first_import": "test_presets.py::test_yaml_overrides_directions_timeframes_and_look_backs",
    "integrations.subtract_unsent_orders": "test_store_and_pipeline.py::test_stock_from_the_warehouse_is_less_what_is_sold_but_not_yet_received",
    "rules.name": "test_rules_flow.py",
    "rules.scope": "test_rules_flow.py",
    "rules.stage": "test_rules_flow.py",
    "rules.data_types": "test_rules_flow.py",
    "rules.when": "test_rules_conditions.py",
    "rules.then": "test_rules_actions.py",
    "smtp.host": "test_rules_effects.py::test_an_alert_sends_one_mail_and_one_signed_call_even_for_a_repeated_webhook",
    "smtp.port": "test_rules_effects.py::test_an_alert_sends_one_mail_and_one_signed_call_even_for_a_repeated_webhook",
    "smtp.sender": "test_rules_effects.py::test_an_alert_sends_one_mail_and_one_signed_call_even_for_a_repeated_webhook",
    "smtp.user": "test_settings_kept.py::test_smtp_user_and_password_log_in",
    "smtp.password": "test_settings_kept.py::test_smtp_user_and_password_log_in",
    "smtp.starttls": "test_settings_kept.py::test_smtp_starttls_asks_for_tls_before_sending",
    "smtp.ssl": "test_settings_kept.py::test_smtp_ssl_speaks_tls_from_the_first_byte",
    "smtp.timeout": "test_settings_kept.py::test_smtp_timeout_gives_up_on_a_server_that_never_answers",
}


def settings(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every setting the account file accepts, as a dotted path (integrations and rules by field)."""
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        types = (field.annotation, *typing.get_args(field.annotation))
        for arg in list(types):
            types += typing.get_args(arg)
        nested = next((t for t in types if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if nested is None:
            yield prefix + name
        else:
            yield from settings(nested, f"{prefix}{name}.")


def test_every_setting_has_a_test_of_its_effect() -> None:
    accepted = set(settings(AccountConfig))
    assert accepted == set(EFFECTS), f"settings without a test of their effect: {sorted(accepted - set(EFFECTS))}"
    for setting, target in EFFECTS.items():
        module, _, name = target.partition("::")
        tree = ast.parse((TESTS / module).read_text())
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        assert not name or name in names, f"{setting}: {target} does not exist"


# --- service and workers ------------------------------------------------------------------


def runtime(tmp_path: Path, extra: str = "", **options: str) -> Runtime:
    text = account_yaml(account="kept", store=f"sqlite://{tmp_path}/hub.db", warehouse_url="http://127.0.0.1:9", extra=extra)
    for old, new in options.items():
        text = text.replace(old, new)
    return Runtime(parse_config(text, file=str(tmp_path / "kept.yaml"), environ=ENV), migrate=True)


def test_the_service_listens_on_the_host_and_port_it_is_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    rt = runtime(tmp_path, **{"service: {host: 127.0.0.1, port: 0}": f"service: {{host: 127.0.0.2, port: {port}}}"})
    process = HubProcess(rt, service=True, workers=False, scheduler=False)
    process.start()
    try:
        assert process.url == f"http://127.0.0.2:{port}"
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    finally:
        process.stop()


def test_the_workers_run_as_many_actors_at_once_as_configured(tmp_path: Path) -> None:
    rt = runtime(tmp_path, **{"service:": "workers: {threads: 3}\nservice:"})
    rt.start()
    try:
        rt.start_workers()  # embedded: each actor this many at once on the loop, exports four times as many
        assert rt.worker is not None and rt.worker.limits["import_event"] == 3 and rt.worker.limits["export_delivery"] == 12
    finally:
        rt.stop()


# --- deliveries, scheduler, maintenance, polling ------------------------------------------


def test_retries_wait_backoff_base_doubling_up_to_backoff_max() -> None:
    from connect_hub.pipeline.exporting import backoff

    waits = [backoff(attempt, 0.5, 3.0, None) for attempt in range(1, 6)]
    expected = [0.5, 1.0, 2.0, 3.0, 3.0]  # doubling from backoff_base, capped at backoff_max
    assert all(0.8 * e <= w <= 1.2 * e for w, e in zip(waits, expected, strict=True)), waits  # ±20 % jitter


async def test_the_scheduler_ticks_every_sweeper_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from connect_hub import scheduler

    ticks: list[float] = []

    async def counted(rt: Any) -> tuple[int, int]:
        ticks.append(time.monotonic())
        return 0, 0

    async def nothing(rt: Any) -> int:
        return 0

    monkeypatch.setattr(scheduler, "sweep_once", counted)
    monkeypatch.setattr(scheduler, "abandon_checkouts", nothing)
    monkeypatch.setattr(scheduler, "start_polls", nothing)
    rt = runtime(tmp_path, **{"sweeper: {interval: 0.5, stale_after: 1.5}": "sweeper: {interval: 0.2, stale_after: 1.5}", "service:": "maintenance: {at_start: false}\nservice:"})
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_scheduler(rt, stop))
    await asyncio.sleep(1.1)
    stop.set()
    await task
    assert 4 <= len(ticks) <= 7  # every 0.2 s for 1.1 s


def test_maintenance_runs_every_interval_and_onboards_at_start_only_when_asked(tmp_path: Path) -> None:
    from connect_hub.scheduler import Maintenance

    sent: list[tuple[str, str]] = []
    for at_start in (True, False):
        rt = runtime(tmp_path, **{"service:": f"maintenance: {{interval: 0.3, at_start: {str(at_start).lower()}}}\nservice:"})
        rt.actors.onboard.send = lambda name: sent.append(("onboard", name))  # type: ignore[method-assign]
        rt.actors.maintain.send = lambda name: sent.append(("maintain", name))  # type: ignore[method-assign]
        maintenance = Maintenance(rt)
        maintenance.tick()
        onboarded = sorted(name for kind, name in sent if kind == "onboard")
        assert onboarded == (["shop", "warehouse"] if at_start else [])
        sent.clear()
        maintenance.tick()
        assert sent == []  # not yet due
        time.sleep(0.35)
        maintenance.tick()
        assert sorted(sent) == [("maintain", "shop"), ("maintain", "warehouse")]
        sent.clear()


async def test_a_running_poll_holds_its_cursor_for_the_polling_lease(store: str) -> None:
    import uuid
    from datetime import UTC, datetime

    from connect_hub.account import build_account
    from connect_hub.manifest import DataType
    from connect_hub.pipeline.polling import _lease
    from connect_hub.plugins import Plugins

    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra="polling: {lease: 120}\n")
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    cursor = await _lease(account, "shop", DataType.ORDERS)
    assert cursor is not None and 115 < (cursor.lease_until - datetime.now(UTC)).total_seconds() <= 120
    assert await _lease(account, "shop", DataType.ORDERS) is None  # held: a second poller waits


def test_a_disabled_integration_is_not_run(tmp_path: Path) -> None:
    rt = runtime(tmp_path, **{"  warehouse:\n    connector: efulfillment": "  warehouse:\n    enabled: false\n    connector: efulfillment"})
    from connect_hub.datatypes.base import exporters
    from connect_hub.manifest import DataType

    assert sorted(rt.account.integrations) == ["shop"]
    assert exporters(rt.account, DataType.ORDERS, "shop") == []  # no order goes to a disabled warehouse


# --- smtp ---------------------------------------------------------------------------------


class _Recorder(socketserver.StreamRequestHandler):
    """A mail server that records the commands it is sent; ``server.script`` shapes it."""

    def handle(self) -> None:
        script = self.server.script  # type: ignore[attr-defined]
        if script == "silent":
            time.sleep(3)
            return
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            try:
                command = line.decode("ascii").strip()
            except UnicodeDecodeError:  # a TLS hello: the client spoke TLS first, sent no command
                return
            self.server.commands.append(command.split(" ")[0].upper())  # type: ignore[attr-defined]
            verb = command.split(" ")[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n")
            elif verb == "STARTTLS":
                self.wfile.write(b"454 TLS not available here\r\n")
            elif verb == "AUTH":
                self.wfile.write(b"235 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def mail_server() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.commands, server.script = [], "normal"  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "hub@acme.example", "ops@acme.example", "test"
    message.set_content("hello")
    return message


def smtp(server: Any, **options: Any) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=server.server_address[1], sender="hub@acme.example", **options)


def test_smtp_user_and_password_log_in(mail_server: Any) -> None:
    _smtp_send(smtp(mail_server, user="hub", password=SecretStr("pw")), mail())
    assert "AUTH" in mail_server.commands
    mail_server.commands.clear()
    _smtp_send(smtp(mail_server), mail())
    assert "AUTH" not in mail_server.commands and "DATA" in mail_server.commands


def test_smtp_starttls_asks_for_tls_before_sending(mail_server: Any) -> None:
    import smtplib

    with pytest.raises(smtplib.SMTPResponseException):
        _smtp_send(smtp(mail_server, starttls=True), mail())
    assert "STARTTLS" in mail_server.commands and "DATA" not in mail_server.commands  # refused: nothing sent in clear


def test_smtp_ssl_speaks_tls_from_the_first_byte(mail_server: Any) -> None:
    import ssl

    with pytest.raises((ssl.SSLError, OSError)):
        _smtp_send(smtp(mail_server, ssl=True, timeout=2), mail())
    assert mail_server.commands == []  # no plain command was ever sent


def test_smtp_timeout_gives_up_on_a_server_that_never_answers(mail_server: Any) -> None:
    mail_server.script = "silent"
    started = time.monotonic()
    with pytest.raises((TimeoutError, OSError)):
        _smtp_send(smtp(mail_server, timeout=0.3), mail())
    assert time.monotonic() - started < 2.5
