
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('apikeys', '0005_audit_event_moves_to_core'),
        ('organizations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The table (apikeys_auditevent) was created by the apikeys migrations: only the model's
    # owner changes, so the database is left as it is.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('actor_email', models.CharField(blank=True, max_length=254)),
                ('key_prefix', models.CharField(blank=True, max_length=40)),
                ('action', models.CharField(choices=[('api_key.created', 'Key created'), ('api_key.renamed', 'Key renamed'), ('api_key.paused', 'Key paused'), ('api_key.resumed', 'Key resumed'), ('api_key.default_set', 'Default set'), ('api_key.default_removed', 'Default removed'), ('api_key.rotated', 'Key rotated'), ('api_key.revoked', 'Key revoked'), ('api_key.rate_limits_changed', 'Rate limits changed'), ('api_key.transferred', 'Key transferred'), ('member.added', 'Member added'), ('member.role_changed', 'Member role changed'), ('member.removed', 'Member removed'), ('organization.created', 'Organization created')], db_index=True, max_length=40)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('request_id', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('actor_key', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='apikeys.apikey')),
                ('api_key', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_events', to='apikeys.apikey')),
                ('organization', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_events', to='organizations.organization')),
            ],
            options={
                'db_table': 'apikeys_auditevent',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['organization', '-created_at'], name='apikeys_aud_organiz_bc0371_idx')],
            },
        ),
                ],
        ),
    ]
