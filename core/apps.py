from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app builds on: the audit trail, domain errors and window counters.

    `core` imports neither `organizations` nor `apikeys`; they import it.
    """

    name = "core"
    verbose_name = "Audit trail"
