"""The contract suite: the hub's standard tests, run against one connector.

Subclass :class:`ConnectorContract` in a test module of the connector's own; its tests use the
``contract`` fixture of :mod:`connect_hub.testing`, which the connector's
``connector_under_test`` fixture feeds. A check that does not apply (no webhooks, no polled
flow) passes with nothing to check, saying so in its name in the output (``-rA`` shows it).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from connect_hub.contracts import ExportAction, Incoming, Verdict, WebhookRequest
from connect_hub.errors import ExportError, MappingError, PermanentError, TransientError
from connect_hub.manifest import Direction
from connect_hub.pipeline.exporting import echo_hash
from connect_hub.simulator.faults import Fault
from connect_hub.testing.harness import Harness

SECRET_LIKE = re.compile(r"(^|_)(secret|token|password|passphrase)($|_)|(^|_)api_?key$|^key$")
"""Setting names that say they hold a secret (``api_key``, ``client_secret``, ``token``)."""
SIGNATURE_LIKE = ("signature", "hmac", "sign")


def _signature_headers(harness: Harness, request: WebhookRequest) -> list[str]:
    if harness.subject.signature_header:
        return [harness.subject.signature_header.lower()]
    found = [name for name in request.headers if any(word in name.lower() for word in SIGNATURE_LIKE)]
    if not found:
        raise AssertionError("no header looks like a signature: give ConnectorUnderTest(signature_header=...)")
    return found


def _tampered(body: bytes) -> bytes:
    digits = re.search(rb"\d", body)
    if digits:
        i = digits.start()
        return body[:i] + (b"1" if body[i:i + 1] != b"1" else b"2") + body[i + 1:]
    return body + b" "


def _described(incoming: list[Incoming]) -> list[tuple[Any, ...]]:
    return [(i.data_type, i.external_id, i.obj.content(), i.obj.modified_at, dict(i.related)) for i in incoming]


class ConnectorContract:
    """The standard tests every connector passes. Subclass it; nothing to override."""

    # --- the manifest ---------------------------------------------------------------------

    def test_the_manifest_is_valid_and_its_settings_are_typed(self, contract: Harness) -> None:
        manifest = contract.manifest
        names = [s.name for s in manifest.settings]
        assert len(names) == len(set(names)), f"settings declared twice: {names}"
        presets = [p.name for p in manifest.presets]
        assert len(presets) == len(set(presets)), f"presets declared twice: {presets}"
        assert manifest.default_preset is None or manifest.default_preset in presets, f"default_preset {manifest.default_preset!r} is no preset"
        for setting in manifest.settings:
            assert setting.description.strip(), f"setting {setting.name!r} needs a description"
            if SECRET_LIKE.search(setting.name):
                assert setting.secret, f"setting {setting.name!r} looks like a secret: declare type=SettingType.SECRET"

    def test_every_flow_has_the_hooks_it_needs(self, contract: Harness) -> None:
        manifest, missing = contract.manifest, []
        every = list(manifest.flows) + [f for p in manifest.presets for f in p.flows]
        for flow in every:
            needed = []
            if flow.direction == Direction.IMPORT:
                needed.append("hub_webhook_parse")
                if flow.timeframe == "realtime":
                    needed.append("hub_webhook_verify")
                if flow.poll_every() is not None:
                    needed.append("hub_poll")
            else:
                needed.append("hub_export")
                if flow.batch_size:
                    needed.append("hub_export_batch")
            missing += [f"{flow.direction} {flow.data_type}: {hook}" for hook in needed if not contract.implements(hook)]
        assert not missing, "flows without the hooks they need: " + "; ".join(missing)

    def test_onboarding_passes_against_the_remote(self, contract: Harness) -> None:
        if not contract.implements("hub_onboard_check"):
            return
        assert contract.integration is not None
        checks = contract.run(contract.plugins.onboard_check(contract.integration))
        failed = [f"{c.name}: {c.message}" for c in checks if not c.ok]
        assert not failed, "onboarding failed: " + "; ".join(failed)

    # --- webhooks -------------------------------------------------------------------------

    def test_verify_accepts_a_genuine_webhook(self, onboarded: Harness) -> None:
        if not onboarded.implements("hub_webhook_verify"):
            return
        _, topic, _ = onboarded.a_genuine_webhook()
        assert topic, "an accepted webhook needs a topic"

    def test_verify_rejects_a_tampered_body(self, onboarded: Harness) -> None:
        if not onboarded.implements("hub_webhook_verify"):
            return
        request, _, _ = onboarded.a_genuine_webhook()
        tampered = WebhookRequest(headers=request.headers, body=_tampered(request.body), query=request.query)
        self._assert_rejected(onboarded, onboarded.verify(tampered), "a tampered body")

    def test_verify_rejects_a_wrong_secret(self, onboarded: Harness) -> None:
        if not onboarded.implements("hub_webhook_verify"):
            return
        request, _, _ = onboarded.a_genuine_webhook()
        self._assert_rejected(onboarded, onboarded.verify(request, onboarded.impostor()), "a webhook signed with another secret")

    def test_verify_rejects_a_missing_signature(self, onboarded: Harness) -> None:
        if not onboarded.implements("hub_webhook_verify"):
            return
        request, _, _ = onboarded.a_genuine_webhook()
        dropped = _signature_headers(onboarded, request)
        unsigned = WebhookRequest(headers={k: v for k, v in request.headers.items() if k not in dropped}, body=request.body, query=request.query)
        self._assert_rejected(onboarded, onboarded.verify(unsigned), "a webhook without its signature")

    @staticmethod
    def _assert_rejected(harness: Harness, verdict: Any, what: str) -> None:
        assert verdict is not None and verdict.verdict == Verdict.REJECT, f"{what} was not rejected: {verdict}"
        for secret in harness.secrets():
            assert secret not in verdict.reason, "the reason of a rejection shows a secret"

    # --- parsing --------------------------------------------------------------------------

    def test_parse_is_pure_and_deterministic(self, onboarded: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        if not onboarded.data_types(Direction.IMPORT) or not onboarded.implements("hub_webhook_verify"):
            return
        request, topic, _ = onboarded.a_genuine_webhook()

        def no_network(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("hub_webhook_parse made an HTTP request: parse must be pure")

        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", no_network)
        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_network)
        first = onboarded.parse(request, topic)
        again = onboarded.parse(request, topic)
        assert first, f"the genuine {topic} webhook parsed to nothing"
        assert _described(first) == _described(again), "parsing the same event twice gave different objects"

    def test_parse_refuses_a_garbled_event_with_a_mapping_error(self, onboarded: Harness) -> None:
        if not onboarded.data_types(Direction.IMPORT):
            return
        topics = [""]
        if onboarded.implements("hub_webhook_verify"):
            request, topic, _ = onboarded.a_genuine_webhook()
            topics.append(topic)
            headers = dict(request.headers)
        else:
            headers = {"content-type": "application/json"}
        for topic in topics:
            for body in (b"{not json", b"[]", b"null", b'{"id": null}', b"", "\u00e9t\u00e9".encode("latin-1")):
                try:
                    onboarded.parse_event(onboarded.event(headers, body, topic))
                except MappingError as exc:
                    for secret in onboarded.secrets():
                        assert secret not in str(exc), "a mapping error shows a secret"

    # --- export ---------------------------------------------------------------------------

    def test_export_is_idempotent(self, onboarded: Harness) -> None:
        for number, data_type in enumerate(onboarded.data_types(Direction.EXPORT), 100):
            sample = onboarded.sample(data_type, number)
            before = onboarded.remote.count(data_type)
            first = onboarded.export(sample)
            assert first.skipped is None, f"the {data_type} sample was skipped ({first.skipped}): give one the connector writes"
            assert first.external_id, f"exporting {data_type} returned no external id"
            after_first = onboarded.remote.count(data_type)
            assert after_first - before in (0, 1), f"one {data_type} export made {after_first - before} objects"
            # the worker died before the Link was saved: the same export again, knowing no id
            again = onboarded.export(sample)
            assert onboarded.remote.count(data_type) == after_first, f"exporting the same {data_type} twice made a second object"
            assert again.external_id == first.external_id
            known = onboarded.export(sample, external_id=first.external_id)
            assert onboarded.remote.count(data_type) == after_first
            assert known.external_id == first.external_id
            for when, result in (("without the external id", again), ("with the external id", known)):
                action = result.resolved_action(None)
                assert action in (ExportAction.UPDATED, ExportAction.UNCHANGED), (
                    f"the same {data_type} exported again {when} says {action}: report "
                    "ExportResult.action (updated, or unchanged when the target already holds it)"
                )

    def test_transient_and_permanent_failures_are_told_apart(self, onboarded: Harness) -> None:
        exported = onboarded.data_types(Direction.EXPORT)
        if not exported:
            return
        data_type, timeout = exported[0], onboarded.subject.timeout_after
        cases: list[tuple[str, Fault, type[ExportError]]] = [
            ("a 500", Fault.server_error(), TransientError),
            ("a 503", Fault.server_error(503), TransientError),
            ("a 429 with Retry-After", Fault.rate_limited(retry_after=120), TransientError),
            ("an answer slower than the timeout", Fault.timeout(timeout + 2), TransientError),
            ("a 200 with a garbled body", Fault.garbage(), ExportError),
            ("a 422", Fault.rejected(422), PermanentError),
            ("a 401", Fault.rejected(401), PermanentError),
        ]
        for number, (what, fault, expected) in enumerate(cases, 200):
            onboarded.remote.add_fault(fault)
            try:
                with pytest.raises(ExportError) as caught:
                    onboarded.export(onboarded.sample(data_type, number))
            finally:
                onboarded.remote.clear_faults()
            assert isinstance(caught.value, expected), f"{what} raised {type(caught.value).__name__}, not {expected.__name__}: {caught.value}"
            if fault.retry_after is not None:
                assert getattr(caught.value, "retry_after", None) == pytest.approx(fault.retry_after), f"{what}: retry_after is not the remote's {fault.retry_after}"
            for secret in onboarded.secrets():
                assert secret not in str(caught.value), f"{what}: the error shows a secret"

    # --- the hub's own writes coming back -------------------------------------------------

    def test_a_round_trip_is_recognised_as_the_hubs_own_write(self, onboarded: Harness) -> None:
        """What the target sends back after an export (a webhook the write caused, else the
        next poll) is linked under the id the export returned and hashes as the hub's echo hash.
        A target that never sends the hub's writes back (no webhook, not polled) has nothing to
        check."""
        both = [d for d in onboarded.data_types(Direction.EXPORT) if d in onboarded.data_types(Direction.IMPORT)]
        assert onboarded.integration is not None
        for number, data_type in enumerate(both, 300):
            sample = onboarded.sample(data_type, number)
            since = onboarded.mark()
            result = onboarded.export(sample)
            back = self._coming_back(onboarded, data_type, result.external_id, since)
            if back is None:
                continue
            expected = echo_hash(onboarded.integration, result.stored or sample.obj)
            assert back.obj.content_hash() == expected, (
                f"the {data_type} written to the target came back different, so the hub would take its own "
                f"write for a change: exported {sample.obj.content()} came back {back.obj.content()}"
                " (return ExportResult.stored: the object as the target keeps it)"
            )

    @staticmethod
    def _coming_back(harness: Harness, data_type: Any, external_id: str | None, since: int) -> Incoming | None:
        if harness.implements("hub_webhook_verify"):
            def parsed(genuine: list[tuple[WebhookRequest, str]]) -> list[Incoming]:
                return [i for r, t in genuine for i in harness.parse(r, t) if i.data_type == data_type and not i.alias]

            came = parsed(harness.genuine_webhooks(since, until=lambda g: any(i.external_id == external_id for i in parsed(g))))
            ours = [i for i in came if i.external_id == external_id]
            if ours:
                return ours[-1]
            assert not came, (
                f"after exporting {data_type} {external_id}, the target sent back {data_type} "
                f"{sorted({i.external_id for i in came})}: return the id the target sends back as ExportResult.external_id"
            )
        if data_type in harness.polled():
            pages, _ = harness.poll_all(data_type)
            ours = [i for i in harness.incoming_of(pages) if i.data_type == data_type and i.external_id == external_id]
            assert ours, f"the exported {data_type} {external_id} is in no poll: return the id the target lists it under"
            return ours[-1]
        return None

    # --- polling --------------------------------------------------------------------------

    def test_a_poll_resumes_from_its_cursor_after_a_crash_mid_page(self, contract: Harness) -> None:
        for data_type, made in contract.polled_and_created(contract.subject.poll_items):
            created = set(made)

            async def crash(data_type: Any = data_type) -> tuple[list[Any], str | None]:
                stored, cursor = [], None
                pages = contract.poll_pages(data_type, None)
                async for page in pages:
                    if stored:  # the second page arrived; the process dies before storing it
                        break
                    stored.append(page)
                    cursor = page.cursor
                await pages.aclose()
                return stored, cursor

            stored, cursor = contract.run(crash())
            resumed, _ = contract.poll_all(data_type, cursor if len(stored) else None)
            seen = {i.external_id for i in contract.incoming_of(stored + resumed) if i.data_type == data_type}
            lost = created - seen
            assert not lost, f"after a crash mid-poll of {data_type}, {len(lost)} of {len(created)} objects were never polled again: {sorted(lost)[:5]}"

    def test_a_large_poll_stays_in_bounded_memory(self, contract: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        """A poll yields each page before it fetches the next one, so memory holds one page
        whatever the size of the remote's history. Watched through httpx: how many requests
        the connector makes between two pages it yields."""
        requests = [0]
        send = httpx.AsyncHTTPTransport.handle_async_request

        async def counted(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            requests[0] += 1
            return await send(transport, request)

        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", counted)
        for data_type, _ in contract.polled_and_created(4 * contract.subject.poll_items):

            async def watch(data_type: Any = data_type) -> tuple[list[int], int]:
                between, items, last = [], 0, requests[0]
                async for page in contract.poll_pages(data_type, None):
                    between.append(requests[0] - last)
                    last = requests[0]
                    items = max(items, len(page.items))
                return between, items

            between, largest = contract.run(watch())
            assert sum(between) > 0, f"polling {data_type} made no request through httpx, so its memory cannot be watched"
            assert len(between) > 1, (
                f"{4 * contract.subject.poll_items} new {data_type} came in one page of {largest} items: "
                "hub_poll must yield page by page (or make poll_items larger than a page)"
            )
            assert max(between) <= 3, (
                f"polling {data_type}, the connector made up to {max(between)} requests before yielding "
                "a page: hub_poll must yield each page before it fetches the next one"
            )
