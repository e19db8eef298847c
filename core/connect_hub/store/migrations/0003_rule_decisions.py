from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0002_polling_and_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RuleDecision',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('stage', fields.CharField(description='import or export', max_length=10)),
                ('integration', fields.CharField(description='the source (import) or the target (export)', max_length=100)),
                ('data_type', fields.CharField(max_length=20)),
                ('event', fields.ForeignKeyField('hub.Event', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='rule_decisions', on_delete=OnDelete.SET_NULL)),
                ('delivery', fields.ForeignKeyField('hub.Delivery', source_field='delivery_id', null=True, db_constraint=True, to_field='id', related_name='rule_decisions', on_delete=OnDelete.SET_NULL)),
                ('record', fields.ForeignKeyField('hub.Record', source_field='record_id', null=True, db_constraint=True, to_field='id', related_name='rule_decisions', on_delete=OnDelete.SET_NULL)),
                ('matched', fields.JSONField(default=list, description='names of the rules whose condition held, in order', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('changes', fields.JSONField(default=list, description='[{field, before, after}] made by the actions', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('notes', fields.JSONField(default=list, description='what each action did, prefixed with its rule', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('blocked_by', fields.CharField(null=True, max_length=200)),
                ('effects', fields.JSONField(default=list, description='[{rule, action, description, state, detail}]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hub_rule_decision', 'app': 'hub', 'indexes': [Index(fields=['account', 'blocked_by'])], 'pk_attr': 'id', 'table_description': 'What the rules did to one object at one stage: which matched, what changed, what blocked.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Delivery',
            name='blocked_by',
            field=fields.CharField(null=True, description='the rule that blocked this export', max_length=200),
        ),
    ]
