"""The account's YAML file: loading, ``${ENV}`` substitution and validation with exact places.

Every error is a :class:`~connect_hub.errors.ConfigError` whose text is one line naming the
file, the path inside it (``integrations.shop.settings.url``) or the line, and what is wrong.
Unknown keys are errors, and so are keys written twice (:mod:`connect_hub.strict_yaml`). Secrets must come from environment variables, so the YAML can be shared safely.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from connect_hub.errors import ConfigError
from connect_hub.manifest import DataType, Direction
from connect_hub.strict_yaml import load_yaml

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
SECRET_TOP_LEVEL = ("secret_key", "admin_token")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PacingConfig(_Strict):
    """How long the embedded hub holds the answer to a stored webhook under a burst (see
    :mod:`connect_hub.service.pacing`); with a Redis broker answers are never held."""

    backlog_limit: int = Field(256, ge=0, description="messages waiting for their actors above which answers are held")
    longest_hold: float = Field(1.0, ge=0, le=4, description="seconds an answer is held at most (0: never held); at "
                                "most 4, so that a sender is answered before it gives up (WooCommerce waits 5 s)")


class ServiceConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str | None = None
    """The address WooCommerce and other senders reach the hub at (webhook registration)."""
    pacing: PacingConfig = Field(default_factory=PacingConfig)


class DeliveryPolicy(_Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_base: float = Field(2.0, gt=0, description="seconds before the first retry")
    backoff_max: float = Field(900.0, gt=0, description="longest wait between two tries")
    lease: float = Field(120.0, gt=0, description="seconds a worker owns a running delivery, or an event it imports")


class SweeperConfig(_Strict):
    interval: float = Field(10.0, gt=0)
    stale_after: float = Field(30.0, gt=0, description="pending work older than this is re-sent")


class MaintenanceConfig(_Strict):
    interval: float = Field(300.0, gt=0, description="seconds between connector maintenance passes")
    at_start: bool = Field(True, description="check every integration (onboarding) when the hub starts")


class PollingConfig(_Strict):
    lease: float = Field(600.0, gt=0, description="seconds one poller owns a running poll")


class WorkerConfig(_Strict):
    """How each ``connect-hub worker`` (and the embedded hub) consumes the queue. Run more
    processes by starting more ``connect-hub worker`` commands."""

    threads: int = Field(4, ge=1, le=64, description="actors at once per process: as many of each actor at once on the "
                         "loop (exports four times as many), embedded and with Redis alike")


class IntegrationConfig(_Strict):
    connector: str
    preset: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    flows: dict[DataType, dict[Direction, bool | str]] = Field(default_factory=dict)
    """Overrides of the preset: ``{stocks: {export: false}, products: {import: 15m}}``."""
    first_import: dict[DataType, str] = Field(default_factory=dict)
    """Overrides of the first-import look-back: ``{orders: 30d, products: all}``."""
    subtract_unsent_orders: bool = False
    """For a stock source: report stock minus the quantities of orders sold but not yet
    received by it, so a shop never shows stock that is already sold."""


class SmtpConfig(_Strict):
    """The mail server the ``send_email`` rule action uses."""

    host: str
    port: int = Field(25, ge=1, le=65535)
    sender: str = Field(description="the From address")
    user: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = Field(10.0, gt=0)


class RuleConfig(_Strict):
    name: str
    scope: str = "account"
    """``account`` or the name of one integration."""
    stage: str
    data_types: list[DataType] = Field(default_factory=list)
    when: dict[str, Any] | None = None
    then: list[dict[str, Any]] = Field(min_length=1)

    source_file: str = Field("", exclude=True)
    """The file the rule is written in (the account file or one it includes)."""
    place: str = Field("", exclude=True)
    """Where in that file: ``rules[2]``."""

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        if value not in ("import", "export"):
            raise ValueError("must be 'import' or 'export'")
        return value


class AccountConfig(_Strict):
    account: str
    store: str = "sqlite://var/connect-hub.db"
    broker: str = "memory://"
    secret_key: SecretStr | None = None
    admin_token: SecretStr | None = None
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    workers: WorkerConfig = Field(default_factory=WorkerConfig)
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    sweeper: SweeperConfig = Field(default_factory=SweeperConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    integrations: dict[str, IntegrationConfig] = Field(default_factory=dict)
    rules: list[RuleConfig] = Field(default_factory=list)
    smtp: SmtpConfig | None = None

    source_file: str = Field("<memory>", exclude=True)
    env_paths: frozenset[str] = Field(frozenset(), exclude=True)
    """Paths whose value came from an environment variable (so may hold a secret)."""

    @field_validator("account")
    @classmethod
    def _account_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_', starting with a letter")
        return value

    @field_validator("integrations")
    @classmethod
    def _integration_names(cls, value: dict[str, IntegrationConfig]) -> dict[str, IntegrationConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"integration name {name!r} must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("broker")
    @classmethod
    def _broker(cls, value: str) -> str:
        if not (value == "memory://" or value.startswith(("redis://", "rediss://"))):
            raise ValueError("must be 'memory://' (in-process) or a redis:// URL")
        return value

    def error(self, path: str, problem: str) -> ConfigError:
        return ConfigError(problem, file=self.source_file, path=path)


def load_config(path: str | os.PathLike[str], environ: dict[str, str] | None = None) -> AccountConfig:
    """Read, substitute and validate one account file. Raises ConfigError (one line)."""
    file = str(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=file) from None
    return parse_config(text, file=file, environ=environ)


def parse_config(text: str, *, file: str = "<memory>", environ: dict[str, str] | None = None) -> AccountConfig:
    raw = load_yaml(text, file=file)
    if not isinstance(raw, dict):
        raise ConfigError("the file must be a mapping with at least 'account:'", file=file)
    env_paths: set[str] = set()
    environ = os.environ if environ is None else environ
    data = _substitute(raw, "", environ, env_paths, file)
    rules = load_rules(data.pop("rules", None), file, environ, env_paths)
    try:
        config = AccountConfig.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, file) from None
    config = config.model_copy(update={"source_file": file, "env_paths": frozenset(env_paths), "rules": rules})
    if config.smtp is not None and config.smtp.password is not None and "smtp.password" not in env_paths:
        raise config.error("smtp.password", "a secret must come from an environment variable: write ${VAR}")
    for key in SECRET_TOP_LEVEL:
        value = getattr(config, key)
        if value is not None and key not in env_paths:
            raise config.error(key, "a secret must come from an environment variable: write ${VAR}")
        if value is not None and not value.get_secret_value().strip():
            raise config.error(key, "is empty (its environment variable is set to nothing): set it, or leave the key out")
    return config


RULE_SECRET_KEYS = ("secret", "password", "token")


def load_rules(
    raw: Any, file: str, environ: Any, env_paths: set[str], *, prefix: str = "rules", nested: bool = False
) -> list[RuleConfig]:
    """The rules of a ``rules:`` list, with ``{include: FILE}`` items replaced by that file's rules.

    An included file (relative to the including one) holds a list of rules, or a mapping with
    ``rules:``. Each rule remembers its file and place, so errors point at where it is written.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError("must be a list of rules", file=file, path=prefix)
    rules: list[RuleConfig] = []
    for index, item in enumerate(raw):
        place = f"{prefix}[{index}]"
        if isinstance(item, dict) and set(item) == {"include"}:
            if nested:
                raise ConfigError("an included rules file cannot include another", file=file, path=f"{place}.include")
            rules += _include_rules(item["include"], file, place, environ)
            continue
        _check_rule_secrets(item, place, file, env_paths)
        try:
            rule = RuleConfig.model_validate(item)
        except ValidationError as exc:
            error = _first_error(exc, file)
            raise ConfigError(error.problem, file=file, path=f"{place}.{error.path}" if error.path else place) from None
        rules.append(rule.model_copy(update={"source_file": file, "place": place}))
    return rules


def _include_rules(target: Any, file: str, place: str, environ: Any) -> list[RuleConfig]:
    if not isinstance(target, str):
        raise ConfigError("include takes a file name", file=file, path=f"{place}.include")
    path = Path(file).parent / target
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the included file {target!r} ({exc.strerror})", file=file, path=f"{place}.include") from None
    raw = load_yaml(text, file=str(path))
    if isinstance(raw, dict) and set(raw) == {"rules"}:
        raw, prefix = raw["rules"], "rules"
    else:
        prefix = ""
    env_paths: set[str] = set()
    data = _substitute(raw, prefix, environ, env_paths, str(path))
    return load_rules(data, str(path), environ, env_paths, prefix=prefix, nested=True)


def _check_rule_secrets(value: Any, path: str, file: str, env_paths: set[str]) -> None:
    """A secret in a rule's action (a URL signing secret, say) must come from ``${VAR}``."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in RULE_SECRET_KEYS and item is not None and where not in env_paths:
                raise ConfigError("a secret must come from an environment variable: write ${VAR}", file=file, path=where)
            _check_rule_secrets(item, where, file, env_paths)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_rule_secrets(item, f"{path}[{index}]", file, env_paths)


def _substitute(value: Any, path: str, environ: Any, env_paths: set[str], file: str) -> Any:
    if isinstance(value, dict):
        return {
            k: _substitute(v, f"{path}.{k}" if path else str(k), environ, env_paths, file)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, f"{path}[{i}]", environ, env_paths, file) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        env_paths.add(path)

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"environment variable {name} is not set", file=file, path=path)

        return _ENV_REF.sub(replace, value)
    return value


def _first_error(exc: ValidationError, file: str) -> ConfigError:
    error = exc.errors()[0]
    path = ".".join(str(part) for part in error["loc"] if part not in ("function-after",))
    if error["type"] == "extra_forbidden":
        problem = "unknown key (a typo?)"
    elif error["type"] == "missing":
        problem = "is required"
    else:
        problem = error["msg"].removeprefix("Value error, ")
    return ConfigError(problem, file=file, path=path or None)
