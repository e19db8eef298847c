"""Hook specifications: every way a plugin can extend the hub, in the order the hub runs them.

A plugin is a module or object with ``@hookimpl`` functions, published under the entry-point
group ``connect_hub.plugins``; the entry point's name is the plugin's name. A plugin that
implements ``hub_connector_manifest`` is a *connector*. The core calls the connector hooks
(``hub_integration_*``, ``hub_webhook_*``, ``hub_poll``, ``hub_export``, ``hub_onboard_check``)
on the one connector of the integration concerned, never on the others: no connector sees
another's data. Rule hooks (``hub_register_rule_*``) are called on every plugin.

Connector hooks may be ``async def`` unless their docstring says otherwise. Implementations take
only the parameters they need and never give them default values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pluggy

from connect_hub import PROJECT

if TYPE_CHECKING:
    from connect_hub.commands import CommandRegistry
    from connect_hub.contracts import (
        Check,
        ExportRequest,
        ExportResult,
        Incoming,
        Integration,
        Notice,
        PollPage,
        RawEvent,
        WebhookRequest,
        WebhookStatus,
        WebhookVerdict,
    )
    from connect_hub.manifest import DataType, Manifest
    from connect_hub.rules import ActionRegistry, OperatorRegistry
    from connect_hub.simulator import Simulator

hookspec = pluggy.HookspecMarker(PROJECT)


# --- Declaration ---------------------------------------------------------------------------


@hookspec
def hub_connector_manifest() -> Manifest:
    """Declare the connector: its data types, directions and timeframes, presets and settings.

    Called once per plugin when the plugin manager loads; a plugin that does not implement it is
    not a connector (it may still add rule operators and actions). Must be a plain ``def``.

    :return: the connector's :class:`~connect_hub.manifest.Manifest`; its ``name`` is what an
        integration's ``connector:`` refers to in YAML.
    """


@hookspec
def hub_register_commands(commands: CommandRegistry) -> None:
    """Add commands to the ``connect-hub`` command line.

    Called once on every plugin when the command line starts, before it reads its arguments.
    ``commands.command(name)`` is typer's ``app.command(name)`` (same options), and
    ``commands.add_typer(app, name=...)`` adds a group of subcommands; both refuse a name the
    core or another plugin already took. A command that fails prints one line and exits with
    code 2 (raise :class:`~connect_hub.errors.HubError` or ``typer.Exit``), never a traceback.

    :param commands: the registry to add to.
    """


# --- Simulation ----------------------------------------------------------------------------


@hookspec
def hub_simulator(integration: Integration, pace: float) -> AbstractContextManager[Simulator] | None:
    """Provide a local stand-in for the integration's remote system.

    Called by ``connect-hub serve --simulators``, ``connect-hub demo`` and end-to-end tests for
    every integration of the account, before the hub starts. Must be a plain ``def``. The
    simulator listens on the address the integration's settings give
    (:func:`connect_hub.simulator.local_port` finds the port, or raises the error that names the
    setting) and accepts the credentials they hold, so the hub talks to it as to the real
    system. A simulator that implements :class:`~connect_hub.simulator.Storefront` or
    :class:`~connect_hub.simulator.Fulfiller` can take part in the demo.

    :param integration: the integration to simulate the remote side of.
    :param pace: seconds the simulated system takes for work a person would do there (a
        warehouse picking an order); tests make it short, the demo long enough to watch.
    :return: a context manager that starts the simulator, yields the running
        :class:`~connect_hub.simulator.Simulator` once it answers, and stops it on exit; or None
        when the connector ships no simulator.
    """


# --- Lifecycle -----------------------------------------------------------------------------


@hookspec
def hub_integration_start(integration: Integration) -> None:
    """Prepare an integration for use in this process (open HTTP clients and the like).

    Called once per integration in every process that works with it (service, worker, CLI),
    on the process's event loop, before any other hook for that integration. Keep anything
    per-integration in ``integration.resources``.

    :param integration: the integration being started.
    """


@hookspec
def hub_integration_stop(integration: Integration) -> None:
    """Release what ``hub_integration_start`` opened. Called once when the process stops.

    :param integration: the integration being stopped.
    """


@hookspec
def hub_onboard_check(integration: Integration) -> list[Check]:
    """Check that the remote system is reachable and the settings work; set up what it needs.

    Called by ``connect-hub onboard`` and at service start. Registering webhooks belongs here.

    :param integration: the integration to check.
    :return: one :class:`~connect_hub.contracts.Check` per thing checked, each with a sentence
        the user can act on when it failed.
    """


# --- Ingress -------------------------------------------------------------------------------


@hookspec
def hub_webhook_verify(integration: Integration, request: WebhookRequest) -> WebhookVerdict:
    """Decide whether a webhook request is genuine, before anything is stored.

    Called on the hot path for every ``POST /webhooks/{integration}``; must be a plain ``def``,
    fast, and compare signatures in constant time. It must not parse more than it needs.

    :param integration: the integration the URL names.
    :param request: headers (lower-case names) and the raw body bytes.
    :return: ACCEPT (with the topic) to store the event, PING to answer 200 and store nothing,
        REJECT (with a reason safe to show) to answer 401 and store nothing.
    """


@hookspec
def hub_webhook_parse(integration: Integration, event: RawEvent) -> list[Incoming]:
    """Turn one stored Event into canonical objects.

    Called by the import actor, any number of times for the same event (it must be pure: no
    remote calls that change anything). Raise :class:`~connect_hub.errors.MappingError` when the
    content cannot be mapped; the event is then kept as failed with that message.

    :param integration: the integration the event came from.
    :param event: the event exactly as received (webhook body or polled item).
    :return: the canonical objects in it (an order may also yield its contact), possibly empty.
    """


@hookspec
def hub_poll(
    integration: Integration, data_type: DataType, cursor: str | None
) -> AsyncIterator[PollPage]:
    """Fetch what changed since ``cursor``, page by page, in bounded memory.

    Called by the scheduler for each import flow with an interval timeframe (and for
    reconciliation of real-time flows). The core stores each page's items as Events and saves the
    page's cursor before asking for the next page, so a crash resumes where it stopped.

    :param integration: the integration to poll.
    :param data_type: the data type to poll.
    :param cursor: where the last poll got to (connector-defined text), None the first time.
    :return: an async iterator of :class:`~connect_hub.contracts.PollPage`.
    """


# --- Export --------------------------------------------------------------------------------


@hookspec
def hub_export(integration: Integration, request: ExportRequest) -> ExportResult:
    """Write one record into the integration's system.

    Called by the export actor for each pending Delivery, possibly more than once for the same
    record version (after a crash or a retry): the write must be idempotent, e.g. keyed by the
    hub's reference or by ``request.external_id``. Raise
    :class:`~connect_hub.errors.TransientError` (with ``retry_after`` when known) to be retried,
    :class:`~connect_hub.errors.PermanentError` to fail the delivery.

    :param integration: the target integration.
    :param request: the record, its version and what the hub knows of it in the target.
    :return: the external id of the written object, or ``skipped`` with the reason nothing was
        written (e.g. an order status the warehouse does not take).
    """


@hookspec
def hub_export_batch(integration: Integration, requests: list[ExportRequest]) -> list[ExportResult | Exception]:
    """Write several records of one data type in one go (stock figures, at most 100 per call).

    Called instead of :func:`hub_export` for export flows whose manifest sets ``batch_size``,
    with at most that many requests, the latest version of each record only (older pending
    versions are superseded, so the latest figure wins). Like ``hub_export`` it must be
    idempotent. A failure of the whole call is raised; a failure of one item is returned in
    that item's place, so each item is retried or parked on its own.

    :param integration: the target integration.
    :param requests: the records to write, in no particular order.
    :return: one :class:`~connect_hub.contracts.ExportResult` or exception (a
        :class:`~connect_hub.errors.TransientError` or :class:`~connect_hub.errors.PermanentError`)
        per request, in the same order.
    """


# --- Maintenance ---------------------------------------------------------------------------


@hookspec
def hub_maintain(integration: Integration) -> list[Notice]:
    """Look after the integration: check and repair what the remote side may have broken.

    Called by the elected scheduler every few minutes (``maintenance.interval``) for every
    integration, and once at service start. WooCommerce re-creates missing or disabled webhooks
    here. Never raise for a problem the user must fix: return a Notice.

    :param integration: the integration to look after.
    :return: what was found or repaired, each as a :class:`~connect_hub.contracts.Notice`; the
        core logs each one as a warning, counts it in the metrics and shows it in ``status``.
    """


@hookspec
def hub_webhook_status(integration: Integration) -> list[WebhookStatus]:
    """Say which of the webhooks the hub needs the remote system holds, as it has them now.

    Called by the console's overview, at most once a minute per integration and with a short
    timeout, so that a person sees whether the webhooks are registered and active. It only
    reads: repairing is :func:`hub_maintain`'s work. A connector that takes no webhooks need not
    implement it. Raise :class:`~connect_hub.errors.HubError` when the remote system cannot be
    asked; the console shows the message.

    :param integration: the integration to look at.
    :return: one :class:`~connect_hub.contracts.WebhookStatus` per webhook the integration needs,
        a missing one included (as not active).
    """


# --- Rules ---------------------------------------------------------------------------------


@hookspec
def hub_register_rule_operators(operators: OperatorRegistry) -> None:
    """Add comparison operators that rule conditions can use.

    Called once on every plugin when the rule engine is built. Register with
    ``operators.add(name, function, kinds=..., argument=...)``; ``function(value, argument) ->
    bool`` is plain and pure. ``value`` is one value of the field (a ``Decimal`` for numbers and
    money, a ``datetime`` for dates, None when absent); ``kinds`` limits the field kinds the
    operator fits (checked at load); ``argument`` says how the rule's ``value`` is read
    (``raw`` by default; see :data:`connect_hub.rules.registry.ARGUMENTS`).

    :param operators: the registry to add to; it refuses duplicate names.
    """


@hookspec
def hub_register_rule_actions(actions: ActionRegistry) -> None:
    """Add actions that rules can run when their condition holds.

    Called once on every plugin when the rule engine is built. Register with
    ``actions.add(name, function, prepare=...)``; ``function(data, argument, context) ->
    ActionOutcome`` may change ``data`` (the object's JSON) and must not do I/O: an action that
    reaches the outside returns an ``Effect`` in its outcome, which the hub runs once after the
    decision is committed (and only reports in a dry run). ``prepare(argument, target)`` checks
    the argument when the rules load (raise ValueError) and returns what ``function`` receives.

    :param actions: the registry to add to; it refuses duplicate names.
    """


def _all_specs() -> list[str]:
    """Names of every hook spec (used by the tests that check each is documented and tested)."""
    return [name for name, value in globals().items() if name.startswith("hub_") and callable(value)]


__all__: list[Any] = []
