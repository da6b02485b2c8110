"""WSGI entry point for gunicorn: `gunicorn portal.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Web requests get database statement and lock timeouts; migrations and commands do not.
os.environ["KEYPORTAL_WEB_PROCESS"] = "1"
application = get_wsgi_application()
