"""The contract suite for connectors, as a pytest plugin (the way Singer SDK tests taps).

A connector package runs the hub's standard tests against itself in three steps. In its
``tests/conftest.py``::

    import pytest

    pytest_plugins = ["connect_hub.testing"]

    @pytest.fixture
    def connector_under_test(fake_crm):          # a fake (or real sandbox) of the remote side
        from connect_hub.testing import ConnectorUnderTest
        from connect_hub_mycrm import hooks

        return ConnectorUnderTest(plugin=hooks, settings={"url": fake_crm.url, "token": "t0k3n"}, remote=fake_crm)

and in a test module (``tests/test_mycrm_contract.py``)::

    from connect_hub.testing import ConnectorContract

    class TestMyCrmContract(ConnectorContract):
        pass

The suite checks that the manifest is valid and its settings typed, that every flow has its
hooks, that onboarding passes, that verify rejects a tampered body, a wrong secret and a missing
signature, that parse is pure and deterministic and refuses garbage with a MappingError, that an
export twice gives one remote object, that transient and permanent failures are told apart, that
a round trip comes back as the hub's own write, and that a poll resumes after a crash mid-page
and stays in bounded memory. :class:`~connect_hub.testing.harness.Remote` says what the remote
side must offer; :mod:`connect_hub.simulator` has the pieces to build a fake that does.

For a connector's own unit tests, :func:`build_integration` makes an Integration as the hub
would from an account file, without running a hub, and :func:`echo_hash` is the hash the hub
keeps after an export to recognise the write coming back.

Fixtures: ``contract`` (a started :class:`Harness`) and ``onboarded`` (the same, after the
connector's onboarding, so the remote sends its webhooks to the suite).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("connect_hub.testing.contract", "connect_hub.testing.harness")

from connect_hub.pipeline.exporting import echo_hash
from connect_hub.testing.contract import ConnectorContract
from connect_hub.testing.harness import ConnectorUnderTest, Harness, Remote
from connect_hub.testing.integration import build_integration
from connect_hub.testing.samples import Sample


@pytest.fixture
def contract(connector_under_test: ConnectorUnderTest) -> Iterator[Harness]:
    """The connector's integration, built and started as the hub does, with a webhook receiver."""
    harness = Harness(connector_under_test)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def onboarded(contract: Harness) -> Harness:
    """The integration after its onboarding (``hub_onboard_check``), which registers webhooks."""
    if contract.implements("hub_onboard_check"):
        assert contract.integration is not None
        checks = contract.run(contract.plugins.onboard_check(contract.integration))
        failed = [f"{c.name}: {c.message}" for c in checks if not c.ok]
        assert not failed, "onboarding failed: " + "; ".join(failed)
    return contract


__all__ = ["ConnectorContract", "ConnectorUnderTest", "Harness", "Remote", "Sample", "build_integration", "contract", "echo_hash", "onboarded"]
