"""Tortoise models of the central store (see DESIGN.md, "The words")."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EventState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class DeliveryState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    DEAD = "dead"


class Record(Model):
    """The hub's canonical copy of one object, with its version and content hash."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    data_type = fields.CharField(max_length=20)
    key = fields.CharField(max_length=300, description="match key: sku:X, email:x, order:ref")
    version = fields.IntField(default=1)
    hash = fields.CharField(max_length=64)
    data = fields.JSONField()
    source = fields.CharField(max_length=100, description="integration of the latest version")
    source_modified_at = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=20, null=True, description="the object's status, if it has one (pending checkouts are found by it)")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "hub_record"
        unique_together = (("account", "data_type", "key"),)
        # not led by the unique key's columns, which PostgreSQL without statistics could take it for
        indexes = (("status", "data_type", "account", "source_modified_at"),)


class LedgerEntry(Model):
    """One line of a record's ledger: an import (or the hub itself) touched the record.

    ``outcome`` says what became of it: ``created`` or ``updated`` (a version was written, and
    ``data`` keeps that version as written), ``unchanged`` (the same content again), ``older``
    (an older version, ignored: no going back) or ``echo`` (the hub's own write coming back).
    The console reads a record's history and the diffs between its versions from here.
    """

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    record = fields.ForeignKeyField("hub.Record", related_name="ledger", on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("hub.Event", related_name="ledger", null=True, on_delete=fields.SET_NULL)
    integration = fields.CharField(max_length=100, description="where the change came from, or hub for the hub itself")
    external_id = fields.CharField(max_length=300, null=True, description="the object's id in that integration")
    outcome = fields.CharField(max_length=10)
    version = fields.IntField(description="the record's version after this entry")
    hash = fields.CharField(max_length=64, description="the content hash of what arrived")
    data = fields.JSONField(null=True, description="the version written (created and updated only)")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hub_ledger_entry"
        indexes = (("account", "record_id", "id"), ("account", "event_id"))


class Link(Model):
    """(integration, data type, external id) -> record, with the last import and export seen.

    A record may be known under several identities in one integration (a customer by id and, on
    guest orders, by e-mail): each is a Link. An ``alias`` is a stand-in the source gave no id
    for (``email:x``): it is matched by the record's key and never exported to.
    """

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    integration = fields.CharField(max_length=100)
    data_type = fields.CharField(max_length=20)
    external_id = fields.CharField(max_length=300)
    record = fields.ForeignKeyField("hub.Record", related_name="links", on_delete=fields.CASCADE)
    last_import_hash = fields.CharField(max_length=64, null=True)
    last_import_modified_at = fields.DatetimeField(null=True)
    last_export_hash = fields.CharField(max_length=64, null=True)
    last_exported_at = fields.DatetimeField(null=True)
    echo_hash = fields.CharField(
        max_length=64, null=True,
        description="hash of the content the target keeps after the hub's last write: that content coming back is an echo",
    )
    alias = fields.BooleanField(default=False, db_default=False, description="a stand-in identity (email:x), not the source's own id")

    class Meta:
        table = "hub_link"
        unique_together = (("account", "integration", "data_type", "external_id"),)
        # not led by the unique key's columns, which PostgreSQL without statistics could take it for
        indexes = (("record_id", "account", "integration"),)


class Event(Model):
    """One raw change as it arrived: a webhook body or a polled item, kept as received."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    integration = fields.CharField(max_length=100)
    topic = fields.CharField(max_length=100)
    headers = fields.JSONField(default=dict)
    body = fields.BinaryField()
    state = fields.CharField(max_length=10, default=EventState.PENDING, db_index=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True, description="while set and ahead, a worker is importing the event")

    class Meta:
        table = "hub_event"
        indexes = (("account", "state", "received_at"),)


class Delivery(Model):
    """One planned export of one record version to one integration."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    integration = fields.CharField(max_length=100, description="the target")
    data_type = fields.CharField(max_length=20)
    record = fields.ForeignKeyField("hub.Record", related_name="deliveries", on_delete=fields.CASCADE)
    version = fields.IntField()
    hash = fields.CharField(max_length=64)
    event = fields.ForeignKeyField("hub.Event", related_name="deliveries", null=True, on_delete=fields.SET_NULL)
    state = fields.CharField(max_length=10, default=DeliveryState.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    reason = fields.TextField(null=True, description="why skipped: rule name or connector reason")
    blocked_by = fields.CharField(max_length=200, null=True, description="the rule that blocked this export")
    external_id = fields.CharField(max_length=300, null=True)
    action = fields.CharField(max_length=10, null=True, description="what the export did: created, updated, unchanged, skipped")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "hub_delivery"
        unique_together = (("account", "integration", "record_id", "version"),)
        indexes = (("account", "state", "next_attempt_at"),)


class RuleDecision(Model):
    """What the rules did to one object at one stage: which matched, what changed, what blocked."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    stage = fields.CharField(max_length=10, description="import or export")
    integration = fields.CharField(max_length=100, description="the source (import) or the target (export)")
    data_type = fields.CharField(max_length=20)
    event = fields.ForeignKeyField("hub.Event", related_name="rule_decisions", null=True, on_delete=fields.SET_NULL)
    delivery = fields.ForeignKeyField("hub.Delivery", related_name="rule_decisions", null=True, on_delete=fields.SET_NULL)
    record = fields.ForeignKeyField("hub.Record", related_name="rule_decisions", null=True, on_delete=fields.SET_NULL)
    matched = fields.JSONField(default=list, description="names of the rules whose condition held, in order")
    changes = fields.JSONField(default=list, description="[{field, before, after}] made by the actions")
    notes = fields.JSONField(default=list, description="what each action did, prefixed with its rule")
    blocked_by = fields.CharField(max_length=200, null=True)
    effects = fields.JSONField(default=list, description="[{rule, action, description, state, detail}]")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hub_rule_decision"
        indexes = (("account", "blocked_by"),)


class Cursor(Model):
    """Where polling of (integration, data type) has got to."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    integration = fields.CharField(max_length=100)
    data_type = fields.CharField(max_length=20)
    position = fields.TextField(null=True)
    polled_at = fields.DatetimeField(null=True, description="when the last complete poll began")
    lease_until = fields.DatetimeField(null=True, description="a poll is running until then")
    last_error = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "hub_cursor"
        unique_together = (("account", "integration", "data_type"),)


class Notice(Model):
    """Something a connector found or repaired that a person should know (shown by ``status``)."""

    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=100)
    integration = fields.CharField(max_length=100)
    kind = fields.CharField(max_length=60)
    message = fields.TextField()
    key = fields.CharField(max_length=64, null=True, description="a notice with a key is reported once")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hub_notice"
        indexes = (("account", "created_at"),)
