"""Actions that reach the outside: ``send_email`` (SMTP) and ``call_url`` (a signed HTTP POST).

    then:
      - send_email: {to: ops@example.com, subject: "Large order {number}", body: "Total {total}"}
      - call_url: {url: "https://erp.example/hooks/orders", secret: "${ERP_HOOK_SECRET}"}

They never change the object: they return an :class:`Effect` that the pipeline runs once, after
the decision is committed, and records on it; a failure is recorded and never blocks the sync.
A dry run only reports them ("would send ..."). Texts may name fields as ``{billing.email}``.
``call_url`` signs the body with HMAC-SHA256 in ``X-Connect-Hub-Signature: sha256=<hex>``, with
the given ``secret`` or, without one, a secret derived from the hub's key for the rule.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import httpx

from connect_hub.contracts import RuleContext
from connect_hub.rules.paths import FieldSpec, read
from connect_hub.rules.registry import ActionOutcome, ActionRegistry, ActionTarget, Effect
from connect_hub.secrets import derive_secret

if TYPE_CHECKING:
    from connect_hub.config import SmtpConfig

SIGNATURE_HEADER = "X-Connect-Hub-Signature"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\[\]]*)\}")


@dataclass(frozen=True)
class EffectEnv:
    """What effects need from the account when they run."""

    account: str
    secret_key: str = ""
    smtp: SmtpConfig | None = None
    decision_id: int | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class Template:
    """A text with ``{field.path}`` placeholders, checked when the rules load. No eval."""

    text: str
    fields: dict[str, FieldSpec]

    def render(self, data: dict[str, Any]) -> str:
        def value(match: re.Match[str]) -> str:
            values = [v for v in read(data, self.fields[match.group(1)].parts) if v is not None]
            return ", ".join(str(v) for v in values)

        return _PLACEHOLDER.sub(value, self.text)


def template(text: Any, target: ActionTarget, what: str) -> Template:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a text")  # noqa: TRY004 - a config error, not a bug
    return Template(text, {name: target.resolve(name) for name in _PLACEHOLDER.findall(text)})


@dataclass(frozen=True)
class _Mail:
    to: tuple[str, ...]
    subject: Template
    body: Template | None


def prepare_send_email(argument: Any, target: ActionTarget) -> _Mail:
    if not isinstance(argument, dict) or not {"to", "subject"} <= set(argument) or set(argument) - {"to", "subject", "body"}:
        raise ValueError("send_email takes {to: ADDRESS or [ADDRESSES], subject: TEXT, body: TEXT (optional)}")
    if not target.smtp:
        raise ValueError("send_email needs the account's smtp: section (host, port, sender)")
    to = argument["to"] if isinstance(argument["to"], list) else [argument["to"]]
    if not to or not all(isinstance(a, str) and "@" in a for a in to):
        raise ValueError("send_email: 'to' must be e-mail addresses")
    body = template(argument["body"], target, "body") if "body" in argument else None
    return _Mail(tuple(to), template(argument["subject"], target, "subject"), body)


def run_send_email(data: dict[str, Any], argument: _Mail, context: RuleContext) -> ActionOutcome:
    rule = context.extra.get("rule", "")
    subject = argument.subject.render(data)

    async def send(env: EffectEnv, final: dict[str, Any]) -> str:
        smtp = env.smtp
        if smtp is None:
            raise RuntimeError("no smtp: section in the account file")
        message = EmailMessage()
        message["From"], message["To"] = smtp.sender, ", ".join(argument.to)
        message["Subject"] = argument.subject.render(final)
        message.set_content(argument.body.render(final) if argument.body else json.dumps(final, indent=2, sort_keys=True))
        await asyncio.to_thread(_smtp_send, smtp, message)
        return f"sent an e-mail to {', '.join(argument.to)}"

    effect = Effect(rule, "send_email", f"send an e-mail to {', '.join(argument.to)}: {subject!r}", send)
    return ActionOutcome(effect=effect)


def _smtp_send(smtp: SmtpConfig, message: EmailMessage) -> None:
    factory = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    with factory(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password.get_secret_value() if smtp.password else "")
        client.send_message(message)


@dataclass(frozen=True)
class _Call:
    url: str
    secret: str | None


def prepare_call_url(argument: Any, target: ActionTarget) -> _Call:
    if isinstance(argument, str):
        argument = {"url": argument}
    if not isinstance(argument, dict) or "url" not in argument or set(argument) - {"url", "secret"}:
        raise ValueError("call_url takes {url: URL, secret: ${VAR} (optional)}")
    url = argument["url"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"call_url: {url!r} is not an http(s) URL")
    return _Call(url, argument.get("secret"))


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def run_call_url(data: dict[str, Any], argument: _Call, context: RuleContext) -> ActionOutcome:
    rule = context.extra.get("rule", "")

    async def call(env: EffectEnv, final: dict[str, Any]) -> str:
        secret = argument.secret or derive_secret(env.secret_key, "rule", env.account, rule)
        body = json.dumps({
            "account": env.account, "rule": rule, "stage": context.stage, "integration": context.integration,
            "data_type": str(context.data_type), "decision_id": env.decision_id, "object": final,
        }, sort_keys=True).encode()
        headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(secret, body), "X-Connect-Hub-Rule": rule}
        async with httpx.AsyncClient(timeout=env.timeout) as client:
            response = await client.post(argument.url, content=body, headers=headers)
        response.raise_for_status()
        return f"called {argument.url}: {response.status_code}"

    return ActionOutcome(effect=Effect(rule, "call_url", f"call {argument.url}", call))


def register_effect_actions(actions: ActionRegistry) -> None:
    """The core's actions that reach the outside."""
    actions.add("send_email", run_send_email, prepare=prepare_send_email)
    actions.add("call_url", run_call_url, prepare=prepare_call_url)
