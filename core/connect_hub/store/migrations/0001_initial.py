from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from connect_hub.store.models import DeliveryState, EventState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Cursor',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('integration', fields.CharField(max_length=100)),
                ('data_type', fields.CharField(max_length=20)),
                ('position', fields.TextField(null=True, unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'hub_cursor', 'app': 'hub', 'unique_together': (('account', 'integration', 'data_type'),), 'pk_attr': 'id', 'table_description': 'Where polling of (integration, data type) has got to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('integration', fields.CharField(max_length=100)),
                ('topic', fields.CharField(max_length=100)),
                ('headers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('body', fields.BinaryField()),
                ('state', fields.CharField(default=EventState.PENDING, db_index=True, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'hub_event', 'app': 'hub', 'indexes': [Index(fields=['account', 'state', 'received_at'])], 'pk_attr': 'id', 'table_description': 'One raw change as it arrived: a webhook body or a polled item, kept as received.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Record',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('data_type', fields.CharField(max_length=20)),
                ('key', fields.CharField(description='match key: sku:X, email:x, order:ref', max_length=300)),
                ('version', fields.IntField(default=1)),
                ('hash', fields.CharField(max_length=64)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source', fields.CharField(description='integration of the latest version', max_length=100)),
                ('source_modified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'hub_record', 'app': 'hub', 'unique_together': (('account', 'data_type', 'key'),), 'pk_attr': 'id', 'table_description': "The hub's canonical copy of one object, with its version and content hash."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('integration', fields.CharField(description='the target', max_length=100)),
                ('data_type', fields.CharField(max_length=20)),
                ('record', fields.ForeignKeyField('hub.Record', source_field='record_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('hash', fields.CharField(max_length=64)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharField(default=DeliveryState.PENDING, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('reason', fields.TextField(null=True, description='why skipped: rule name or connector reason', unique=False)),
                ('external_id', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'hub_delivery', 'app': 'hub', 'unique_together': (('account', 'integration', 'record_id', 'version'),), 'indexes': [Index(fields=['account', 'state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One planned export of one record version to one integration.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Link',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('integration', fields.CharField(max_length=100)),
                ('data_type', fields.CharField(max_length=20)),
                ('external_id', fields.CharField(max_length=300)),
                ('record', fields.ForeignKeyField('hub.Record', source_field='record_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('last_import_hash', fields.CharField(null=True, max_length=64)),
                ('last_import_modified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_export_hash', fields.CharField(null=True, max_length=64)),
                ('last_exported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'hub_link', 'app': 'hub', 'unique_together': (('account', 'integration', 'data_type', 'external_id'), ('account', 'integration', 'record_id')), 'pk_attr': 'id', 'table_description': '(integration, data type, external id) -> record, with the last import and export seen.'},
            bases=['Model'],
        ),
    ]
