"""Give every existing user a verified primary email address.

Sign-in now requires a verified address (`ACCOUNT_EMAIL_VERIFICATION = "mandatory"`). The
people already here were created by staff or by an owner with their address, and have
been signing in with it: they keep signing in, without a verification mail each.
"""

from django.db import migrations


def verify_existing_addresses(apps, schema_editor):
    User = apps.get_model("organizations", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    without_address = User.objects.exclude(
        pk__in=EmailAddress.objects.values("user_id")
    ).values_list("pk", "email")
    EmailAddress.objects.bulk_create(
        (
            EmailAddress(user_id=pk, email=email, verified=True, primary=True)
            for pk, email in without_address.iterator()
        ),
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("account", "0009_emailaddress_unique_primary_email"),
        ("organizations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(verify_existing_addresses, migrations.RunPython.noop, elidable=True),
    ]
