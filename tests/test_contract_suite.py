"""The contract suite catches what it claims to: the template's connector, each time with one
mistake a connector author makes, fails exactly the checks about that mistake."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from connect_hub.scaffold import write_connector

pytestmark = pytest.mark.slow
PACKAGE = "connect_hub_mutant"

MISTAKES = {
    "verify-accepts-anything": (
        "webhooks.py",
        '    """Accept a request signed with ``secret``; compare in constant time."""\n',
        '    """Accept a request signed with ``secret``; compare in constant time."""\n    return WebhookVerdict(Verdict.ACCEPT, topic="contact.updated")\n',
        {"test_verify_rejects_a_tampered_body", "test_verify_rejects_a_wrong_secret", "test_verify_rejects_a_missing_signature"},
    ),
    "export-creates-every-time": (
        "contacts.py",
        "    if existing is None:\n        existing = await client.contact_by_email(contact.email)\n",
        "",
        {"test_export_is_idempotent"},
    ),
    "a-500-is-permanent": (
        "client.py",
        "if response.status_code == 429 or response.status_code >= 500:",
        "if response.status_code == 429:",
        {"test_transient_and_permanent_failures_are_told_apart"},
    ),
    "webhooks-map-otherwise-than-the-export": (
        "webhooks.py",
        "    contact = contact_from_remote(data)\n",
        "    contact = contact_from_remote(data)\n    contact = contact.model_copy(update={'company': contact.company or 'n/a'})\n",
        {"test_a_round_trip_is_recognised_as_the_hubs_own_write"},
    ),
    "poll-fetches-everything-first": (
        "contacts.py",
        "    async for items in client.contacts_since(start, after_id, page_size):\n",
        "    pages = [items async for items in client.contacts_since(start, after_id, page_size)]\n    for items in pages:\n",
        {"test_a_large_poll_stays_in_bounded_memory"},
    ),
    "parse-calls-the-remote": (
        "webhooks.py",
        "    contact = contact_from_remote(data)\n",
        "    import httpx\n    try:\n        httpx.get('http://127.0.0.1:9/contacts', timeout=1)\n    except httpx.HTTPError:\n        pass\n    contact = contact_from_remote(data)\n",
        {"test_parse_is_pure_and_deterministic"},
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_mistake_fails_the_checks_about_it_and_no_others(tmp_path: Path, mistake: str) -> None:
    file, before, after, expected = MISTAKES[mistake]
    write_connector("mutant", tmp_path)
    source = tmp_path / PACKAGE / file
    text = source.read_text()
    assert before in text, f"the template changed: update the mistake {mistake!r}"
    source.write_text(text.replace(before, after))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "tests/test_mutant_contract.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    failed = set(re.findall(r"^FAILED \S+::TestMutantContract::(\w+)", result.stdout, re.MULTILINE))
    assert failed == expected, result.stdout[-4000:]
