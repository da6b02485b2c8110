"""Keep keys out of every log line the project emits, access logs included."""

from __future__ import annotations

import logging
import os

from apikeys import keys


def _brand() -> str:
    # Gunicorn's master logs before Django is set up: fall back to the environment.
    try:
        from django.conf import settings

        return settings.APIKEYS_BRAND
    except Exception:
        return os.environ.get("APIKEYS_BRAND", "kp")


class RedactAPIKeys(logging.Filter):
    """Mask every key-shaped value (brand and valid checksum) in a record's message.

    Attached to every handler in `LOGGING` (runserver's `django.server` too) and to
    gunicorn's access and error logs through `gunicorn.conf.py`: a key sent in a URL is
    refused, but the request line that carried it would otherwise still be logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = keys.redact(message, _brand())
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
