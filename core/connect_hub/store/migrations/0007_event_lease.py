from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0006_identities_and_export_actions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='lease_until',
            field=fields.DatetimeField(null=True, description="while set and ahead, a worker is importing the event"),
        ),
    ]
