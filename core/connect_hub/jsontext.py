"""JSON text in and out of bytes, with orjson where it can and the standard library where not.

orjson reads and writes JSON several times faster than :mod:`json`, and writes what
``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes, but for the notation of
some small floats (``0.00001`` where :mod:`json` writes ``1e-05``: the same number). So it is for
JSON that is read again, not for bytes that are hashed (:func:`connect_hub.canonical.content_hash`
uses orjson only because canonical content holds no float). It refuses a few things the
standard library takes: integers beyond 64 bits (written), lone surrogates and ``NaN`` (read);
for those, both functions fall back to :mod:`json`, so no input a connector read before is
refused now. One thing it does not refuse:
it *reads* an integer beyond 64 bits as a float. PHP's JSON never holds one (its integers are 64
bits), so a WooCommerce answer reads the same; for an API that may send one, use :mod:`json`.
(Tortoise uses orjson for its JSON fields on its own once it is installed.)
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: bytes | str) -> Any:
    """The value of a JSON document; ``ValueError`` when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any) -> bytes:
    """Compact JSON (no spaces, non-ASCII kept), as UTF-8; ``TypeError`` for what JSON cannot hold."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
