from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connect the receivers that put account events on the audit trail.
        from accounts import signals  # noqa: F401
