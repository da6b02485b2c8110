"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Web requests get database statement and lock timeouts; migrations and commands do not.
os.environ["KEYPORTAL_WEB_PROCESS"] = "1"
application = get_asgi_application()
