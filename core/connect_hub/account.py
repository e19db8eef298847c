"""An account at run time: its validated configuration, its integrations and its plugins."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from connect_hub.config import AccountConfig
from connect_hub.contracts import Integration
from connect_hub.manifest import (
    FIRST_IMPORT_DEFAULTS,
    REALTIME,
    DataType,
    Direction,
    Flow,
    Manifest,
    lookback_seconds,
    timeframe_seconds,
)
from connect_hub.plugins import Plugins
from connect_hub.rules import EffectEnv, RuleEngine, build_engine
from connect_hub.secrets import webhook_secret
from connect_hub.settings import SettingValueError

SECRET_KEY_ENV = "CONNECT_HUB_SECRET_KEY"


@dataclass
class Account:
    """Everything a process needs to work for one account."""

    config: AccountConfig
    plugins: Plugins
    rules: RuleEngine
    integrations: dict[str, Integration] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.account

    def effect_env(self, decision_id: int | None = None) -> EffectEnv:
        """What rule effects (e-mail, URL calls) need to run for this account."""
        secret_key = self.config.secret_key.get_secret_value() if self.config.secret_key else os.environ.get(SECRET_KEY_ENV, "")
        return EffectEnv(account=self.name, secret_key=secret_key, smtp=self.config.smtp, decision_id=decision_id)

    def integration(self, name: str) -> Integration | None:
        return self.integrations.get(name)

    def secrets(self) -> list[str]:
        """Every secret value this account knows, for redaction of peer error messages."""
        values = [s.get_secret_value() for s in (self.config.secret_key, self.config.admin_token) if s]
        if self.config.smtp is not None and self.config.smtp.password is not None:
            values.append(self.config.smtp.password.get_secret_value())
        for integration in self.integrations.values():
            if integration.secret_key:
                values.append(webhook_secret(integration.secret_key, self.name, integration.name))
            for setting in integration.manifest.settings:
                value = integration.settings.get(setting.name)
                if setting.secret and isinstance(value, str) and value:
                    values.append(value)
        return values


def build_account(config: AccountConfig, plugins: Plugins) -> Account:
    """Check every integration against its connector's manifest and build the Account.

    Raises :class:`~connect_hub.errors.ConfigError` naming the place: an unknown connector or
    preset, an unknown or missing setting, or a secret setting written in clear.
    """
    secret_key = config.secret_key.get_secret_value() if config.secret_key else os.environ.get(SECRET_KEY_ENV, "")
    public_url = config.service.public_url or f"http://{config.service.host}:{config.service.port}"
    rules = build_engine(
        config.rules, plugins.pm, file=config.source_file,
        integrations=frozenset(config.integrations), smtp=config.smtp is not None,
    )
    account = Account(config=config, plugins=plugins, rules=rules)
    for name, spec in config.integrations.items():
        if not spec.enabled:
            continue
        path = f"integrations.{name}"
        if not plugins.has(spec.connector):
            raise config.error(f"{path}.connector", _missing_connector(plugins, spec.connector))
        manifest = plugins.manifests[spec.connector]
        if spec.preset is not None and manifest.preset(spec.preset) is None:
            known = ", ".join(p.name for p in manifest.presets) or "none"
            raise config.error(f"{path}.preset", f"connector {spec.connector!r} has no preset {spec.preset!r} (known: {known})")
        settings = dict(spec.settings)
        for key in settings:
            if manifest.setting(key) is None:
                known = ", ".join(s.name for s in manifest.settings)
                raise config.error(f"{path}.settings.{key}", f"unknown setting (a typo? {spec.connector} takes: {known})")
        for setting in manifest.settings:
            where = f"{path}.settings.{setting.name}"
            if settings.get(setting.name) is None:  # left out, or written as nothing
                if setting.required:
                    raise config.error(where, f"is required: {setting.description}")
                settings[setting.name] = None if setting.default is None else setting.read(setting.default)
                continue
            if setting.secret and where not in config.env_paths:
                raise config.error(where, "a secret must come from an environment variable: write ${VAR}")
            try:
                settings[setting.name] = setting.read(settings[setting.name])
            except SettingValueError as exc:
                raise config.error(where, str(exc)) from None
        preset = spec.preset or manifest.default_preset
        if spec.preset is None and manifest.presets and manifest.default_preset is None:
            raise config.error(f"{path}.preset", "is required: pick one of " + ", ".join(p.name for p in manifest.presets))
        flows = _apply_overrides(config, path, manifest, manifest.flows_for(preset), spec.flows)
        chosen = manifest.preset(preset)
        if spec.subtract_unsent_orders and not (chosen and chosen.stock_source):
            raise config.error(
                f"{path}.subtract_unsent_orders",
                f"applies only to the stock source, and preset {preset!r} of {spec.connector!r} is none",
            )
        first_import = {**FIRST_IMPORT_DEFAULTS, **(chosen.first_import if chosen else {}), **spec.first_import}
        try:
            lookbacks = {DataType(k): lookback_seconds(v) for k, v in first_import.items()}
        except ValueError as exc:
            raise config.error(f"{path}.first_import", str(exc)) from None
        account.integrations[name] = Integration(
            account=config.account,
            name=name,
            connector=spec.connector,
            preset=preset,
            settings=settings,
            manifest=manifest,
            flows=flows,
            public_url=public_url,
            secret_key=secret_key,
            first_import=lookbacks,
            stock_source=bool(chosen and chosen.stock_source),
            subtract_unsent_orders=spec.subtract_unsent_orders,
        )
    check_rule_scopes(account)
    return account


def _missing_connector(plugins: Plugins, connector: str) -> str:
    """Why no installed plugin declares ``connector``: blocked, broken, or not installed."""
    reason = plugins.unavailable.explain(connector)
    if reason is not None:
        return reason
    known = ", ".join(sorted(plugins.manifests)) or "none installed"
    message = f"unknown connector {connector!r} (known: {known})"
    if plugins.unavailable.broken:
        message += f"; plugins that failed to load: {', '.join(sorted(plugins.unavailable.broken))}"
    if plugins.unavailable.blocked:
        message += f"; blocked plugins: {', '.join(sorted(plugins.unavailable.blocked))}"
    return message


def check_rule_scopes(account: Account) -> None:
    """A rule scoped to an integration must name one that exists."""
    for index, rule in enumerate(account.config.rules):
        if rule.scope != "account" and rule.scope not in account.config.integrations:
            raise account.config.error(f"rules[{index}].scope", f"rule {rule.name!r}: no integration named {rule.scope!r}")


def _apply_overrides(
    config: AccountConfig, path: str, manifest: Manifest, flows: tuple[Flow, ...], overrides: dict
) -> tuple[Flow, ...]:
    """The preset's flows with the YAML's ``flows:`` overrides applied.

    ``false`` drops a flow; ``true`` adds it as the connector declares it; for an import,
    ``realtime`` takes webhooks with the connector's reconciliation poll, and an interval such as
    ``30s`` polls every 30 seconds (and no other reconciliation). Exports always run as changes
    come, so an interval there is refused, as is anything the connector cannot do.
    """
    result = {(f.data_type, f.direction): f for f in flows}
    declared = list(manifest.flows) + [f for p in manifest.presets for f in p.flows]
    for data_type, directions in overrides.items():
        for direction, value in directions.items():
            where = f"{path}.flows.{data_type}.{direction}"
            key = (DataType(data_type), Direction(direction))
            if value is False:
                result.pop(key, None)
                continue
            template = result.get(key) or next((f for f in declared if (f.data_type, f.direction) == key), None)
            if template is None:
                raise config.error(where, f"connector {manifest.name!r} cannot {direction} {data_type}")
            if isinstance(value, str):
                template = _retimed(config, where, template, value)
            result[key] = template
    return tuple(result.values())


def _retimed(config: AccountConfig, where: str, flow: Flow, timeframe: str) -> Flow:
    """``flow`` with the timeframe the YAML gives it."""
    try:
        every = timeframe_seconds(timeframe)
    except ValueError as exc:
        raise config.error(where, str(exc)) from None
    if flow.direction == Direction.EXPORT:
        if every is not None:
            raise config.error(where, f"an export runs as changes come: write 'realtime' or true, not {timeframe!r}")
        return flow
    if every is None:
        declared = flow if flow.timeframe == REALTIME else flow.model_copy(update={"reconcile": flow.timeframe})
        return declared.model_copy(update={"timeframe": REALTIME})
    return flow.model_copy(update={"timeframe": timeframe, "reconcile": None})
