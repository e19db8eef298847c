from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0004_record_status')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('record', fields.ForeignKeyField('hub.Record', source_field='record_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.SET_NULL)),
                ('integration', fields.CharField(description="where the change came from, or hub for the hub itself", max_length=100)),
                ('external_id', fields.CharField(null=True, description="the object's id in that integration", max_length=300)),
                ('outcome', fields.CharField(max_length=10)),
                ('version', fields.IntField(description="the record's version after this entry")),
                ('hash', fields.CharField(description='the content hash of what arrived', max_length=64)),
                ('data', fields.JSONField(null=True, description='the version written (created and updated only)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hub_ledger_entry', 'app': 'hub', 'indexes': [Index(fields=['account', 'record_id', 'id']), Index(fields=['account', 'event_id'])], 'pk_attr': 'id', 'table_description': "One line of a record's ledger: an import (or the hub itself) touched the record."},
            bases=['Model'],
        ),
    ]
