"""The hub's standard tests, run against the MiniCRM connector and the fake MiniCRM."""

from connect_hub.testing import ConnectorContract


class TestMiniCrmContract(ConnectorContract):
    pass
