"""What every data type's policy may say: identity, merge, checks, follow-ups and routing.

The import, route and export steps are one generic loop; whatever differs between orders,
contacts, products, stock figures, checkouts and shipments is a method of that type's
:class:`DataTypePolicy`, in a module of its own beside this one. The default of each method is
what most types want, so a policy overrides only what makes its type different. The identity
rules per data type are written for connector authors in ``docs/identity.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from connect_hub.canonical import Canonical
from connect_hub.manifest import DataType

if TYPE_CHECKING:
    from connect_hub.account import Account
    from connect_hub.contracts import Incoming, Integration


class DataTypePolicy:
    """The behaviour of one data type along the way of a change (defaults: the common case)."""

    data_type: ClassVar[DataType]

    def describe(self, obj: Canonical) -> str:
        """The object in a few words for messages: ``order shop-1042``, ``contact a@b.test``."""
        return f"{self.data_type.rstrip('s')} {obj.match_key().split(':', 1)[-1]}"

    async def prepare(self, account: Account, integration: Integration, item: Incoming) -> Incoming | str:
        """Before the import rules: the item to import, or a sentence saying why it is not
        imported (kept as a note on the event, which is then done)."""
        return item

    def refusal(self, obj: Canonical, source: str) -> str | None:
        """After the import rules: a sentence saying why the object cannot be kept (the event
        then fails with it), or None."""
        return None

    def merge(self, incoming: Canonical, stored: Canonical) -> Canonical:
        """What the record becomes when ``incoming`` meets its ``stored`` version (not older)."""
        return incoming

    async def before_write(self, account: Account, obj: Canonical, connection: Any) -> None:
        """Called in the import's transaction just before a new version is written."""

    async def follow_ups(self, account: Account, integration: Integration, obj: Canonical) -> list[Incoming]:
        """Other objects an imported one implies (an order completes its checkout); called at
        every import of the object, so it must return nothing once they are in the store."""
        return []

    async def drifted(self, account: Account, source: str, record: Any, obj: Canonical, connection: Any) -> list[str]:
        """An import brought the record's content again (a re-sent webhook, a reconciliation
        poll): the integrations whose copy is known to differ from it, which get the current
        version again. Default: none."""
        return []

    async def targets(self, account: Account, obj: Canonical, source: str, connection: Any) -> list[str]:
        """The integrations that get a Delivery of a new version: every one whose manifest and
        preset export this data type, except the source (no echo)."""
        return exporters(account, self.data_type, source)

    def related_keys(self, obj: Canonical) -> dict[str, tuple[DataType, str]]:
        """Records the object refers to, by name: ``{"order": (ORDERS, "order:shop-1")}``; an
        export gets their ids in the target as ``ExportRequest.related``."""
        return {}


def exporters(account: Account, data_type: DataType, source: str) -> list[str]:
    """Integrations whose manifest and preset export ``data_type``, except ``source``."""
    return [name for name, i in account.integrations.items() if name != source and i.exports(data_type)]
