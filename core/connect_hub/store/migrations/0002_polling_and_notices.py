from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=100)),
                ('integration', fields.CharField(max_length=100)),
                ('kind', fields.CharField(max_length=60)),
                ('message', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hub_notice', 'app': 'hub', 'indexes': [Index(fields=['account', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Something a connector found or repaired that a person should know (shown by ``status``).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Cursor',
            name='last_error',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Cursor',
            name='lease_until',
            field=fields.DatetimeField(null=True, description='a poll is running until then', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Cursor',
            name='polled_at',
            field=fields.DatetimeField(null=True, description='when the last complete poll began', auto_now=False, auto_now_add=False),
        ),
    ]
