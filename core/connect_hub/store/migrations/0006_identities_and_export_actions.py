from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint


class RemoveInlineUniqueTogether(ops.RemoveConstraint):
    """Drop a ``unique_together`` constraint. SQLite keeps it inside ``CREATE TABLE`` (there is
    no index to drop), so there the table is remade from the new state, as SQLite advises, and
    the model's other ``unique_together`` constraints are made again as unique indexes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._remake_table(model)
            for fields in model._meta.unique_together:
                await state_editor.add_constraint(model, UniqueConstraint(tuple(fields)))
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('hub', '0005_ledger')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Delivery',
            name='action',
            field=fields.CharField(null=True, description='what the export did: created, updated, unchanged, skipped', max_length=10),
        ),
        ops.AddField(
            model_name='Notice',
            name='key',
            field=fields.CharField(null=True, description='a notice with a key is reported once', max_length=64),
        ),
        ops.AddField(
            model_name='Link',
            name='echo_hash',
            field=fields.CharField(null=True, description="hash of the content the target keeps after the hub's last write: that content coming back is an echo", max_length=64),
        ),
        ops.AddField(
            model_name='Link',
            name='alias',
            field=fields.BooleanField(default=False, db_default=False, description="a stand-in identity (email:x), not the source's own id"),
        ),
        RemoveInlineUniqueTogether(
            model_name='Link',
            name=None,
            fields=['account', 'integration', 'record_id'],
        ),
        ops.AddIndex(
            model_name='Link',
            index=Index(fields=['account', 'integration', 'record_id']),
        ),
    ]
