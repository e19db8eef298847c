from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('hub', '0003_rule_decisions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Record',
            name='status',
            field=fields.CharField(null=True, description="the object's status, if it has one (pending checkouts are found by it)", max_length=20),
        ),
        ops.AddIndex(
            model_name='Record',
            index=Index(fields=['account', 'data_type', 'status', 'source_modified_at']),
        ),
    ]
