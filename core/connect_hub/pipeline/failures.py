"""Telling failures apart: what may pass if tried again, and the sentence a merchant reads.

A deterministic failure (the content cannot be mapped, a constraint, a target that refuses, a
defect in a connector) gives the same result every time: the event or delivery fails at once
with a sentence naming the object and the cause. Only what may pass on its own (the store busy
or unreachable, the network, a remote that asks to wait) is tried again.
"""

from __future__ import annotations

import httpx
from pydantic import ValidationError
from tortoise.exceptions import IntegrityError, OperationalError

from connect_hub.errors import HubError, PermanentError, TransientError

PASSING_STORE_ERRORS = ("database is locked", "connection", "timeout", "terminat", "too many clients")


def store_may_recover(exc: BaseException) -> bool:
    """True for a store or network hiccup (locked, connection lost, timeout): try again later."""
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, OperationalError) and not isinstance(exc, IntegrityError):
        text = str(exc).lower()
        return any(part in text for part in PASSING_STORE_ERRORS)
    return False


def export_may_recover(exc: BaseException) -> bool:
    """True when an export failure may pass if tried again: the connector said so, or the
    network failed before the target answered."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, PermanentError):
        return False
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in (408, 429) or exc.response.status_code >= 500
    return store_may_recover(exc)


def invalid(exc: ValidationError) -> str:
    """What a connector read that the canonical model refuses, field by field: ``quantity:
    Input should be less than or equal to 9223372036854775807 (it was 100000000000000000000)``."""
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        where = ".".join(str(part) for part in error["loc"]) or exc.title
        problems.append(f"{where}: {error['msg']} (it was {error.get('input')!r:.80})")
    more = f"; and {exc.error_count() - 5} more" if exc.error_count() > 5 else ""
    return f"the {exc.title} it holds is invalid: {'; '.join(problems)}{more}"


def cause(exc: BaseException) -> str:
    """The cause as a person reads it: the hub's own errors as they are worded; anything else
    named as what it is (a defect to report), never as a bare Python error."""
    if isinstance(exc, HubError):
        return str(exc)
    if isinstance(exc, IntegrityError):
        return f"the store refused the change ({exc}); replay it once the conflicting record is fixed"
    if isinstance(exc, httpx.HTTPError):
        return f"the request failed ({type(exc).__name__}: {exc})"
    return f"an unexpected error in the hub or a connector ({type(exc).__name__}: {exc}); please report it, then replay"
