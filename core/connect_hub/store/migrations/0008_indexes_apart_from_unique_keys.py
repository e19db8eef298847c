from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The secondary indexes of Links and records no longer lead with the columns of their
    unique keys: without statistics PostgreSQL could take them for a unique key's lookup and
    read every Link of an integration, or every record of a data type, to find one."""

    dependencies = [('hub', '0007_event_lease')]

    initial = False

    operations = [
        ops.RemoveIndex(model_name='Link', fields=['account', 'integration', 'record_id']),
        ops.AddIndex(model_name='Link', index=Index(fields=['record_id', 'account', 'integration'])),
        ops.RemoveIndex(model_name='Record', fields=['account', 'data_type', 'status', 'source_modified_at']),
        ops.AddIndex(model_name='Record', index=Index(fields=['status', 'data_type', 'account', 'source_modified_at'])),
    ]
