"""Checkouts: carts whose shopper is known, moving only forward until an order or abandonment.

Identity: ``checkout:<reference>`` (the companion plugin's checkout id). A checkout's status only
moves forward: pending, then abandoned or completed; abandoned, then completed
(``CHECKOUT_STATUS_RANK``). Its content follows the source's newest version (no going back by
modified time), but a version that is late or behind never lowers the status: a late
``pending`` update does not re-open a completed checkout. An order placed from it completes it
(``Order.checkout_reference``, :func:`completed_by`), even after it was abandoned; abandonment
itself is the scheduler's (:mod:`connect_hub.pipeline.checkouts`).
"""

from __future__ import annotations

from connect_hub.account import Account
from connect_hub.canonical import (
    CHECKOUT_STATUS_RANK,
    Canonical,
    Checkout,
    CheckoutStatus,
    Order,
    load,
)
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.manifest import DataType
from connect_hub.store.models import Record


class CheckoutPolicy(DataTypePolicy):
    data_type = DataType.CHECKOUTS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Checkout)
        return f"checkout {obj.reference}"

    def merge(self, incoming: Canonical, stored: Canonical) -> Canonical:
        assert isinstance(incoming, Checkout) and isinstance(stored, Checkout)
        return merge_forward(incoming, stored)


def merge_forward(incoming: Checkout, stored: Checkout) -> Checkout:
    """What a checkout becomes when ``incoming`` meets the ``stored`` version.

    The content is the newer version's (by modified time; ``incoming`` on a tie or without
    times), the status the furthest along of both, the order reference whichever is known, and
    the modified time the latest of both.
    """
    older = bool(incoming.modified_at and stored.modified_at and incoming.modified_at < stored.modified_at)
    base, other = (stored, incoming) if older else (incoming, stored)
    status = max(incoming.status, stored.status, key=CHECKOUT_STATUS_RANK.__getitem__)
    times = [t for t in (incoming.modified_at, stored.modified_at) if t is not None]
    return base.model_copy(update={
        "status": status,
        "order_reference": base.order_reference or other.order_reference,
        "modified_at": max(times) if times else None,
    })  # fmt: skip


async def completed_by(account: Account, order: Order) -> Checkout | None:
    """The completed checkout an order placed from one makes; None if it names none.

    Built on the stored checkout when there is one; else from the order itself (its checkout
    updates were lost or are still on their way, and will not re-open it).
    """
    if not order.checkout_reference:
        return None
    record = await Record.get_or_none(
        account=account.name, data_type=str(DataType.CHECKOUTS), key=f"checkout:{order.checkout_reference}"
    )
    update = {"status": CheckoutStatus.COMPLETED, "order_reference": order.reference, "modified_at": order.modified_at}
    if record is not None:
        stored = load(DataType.CHECKOUTS, record.data)
        assert isinstance(stored, Checkout)
        if stored.status == CheckoutStatus.COMPLETED and stored.order_reference == order.reference:
            return None
        return stored.model_copy(update=update)
    lines = [line.model_copy(update={"product_record_id": None}) for line in order.lines]
    return Checkout(
        reference=order.checkout_reference, email=order.email, first_name=order.billing.first_name,
        last_name=order.billing.last_name, currency=order.currency, total=order.total, lines=lines, **update,
    )
