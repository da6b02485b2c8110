"""The audit trail moves to the `core` app; its table stays where it is (state only)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0004_audit_key_transferred"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
