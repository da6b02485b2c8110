#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Run by a Python that lacks the project's packages (`python manage.py …` on a machine where
`make run` made `.venv`), it hands over to `.venv/bin/python`, so the README's commands
work as written.
"""

import os
import sys
from pathlib import Path

VENV = Path(__file__).resolve().parent / ".venv"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError:
        venv_python = VENV / "bin" / "python"
        if venv_python.exists() and Path(sys.prefix).resolve() != VENV.resolve():
            os.execv(venv_python, [str(venv_python), *sys.argv])  # noqa: S606 - our own venv
        raise SystemExit(
            "Django is not installed for this Python: run `make run` (it creates .venv), "
            "then `python manage.py …` or `.venv/bin/python manage.py …`."
        ) from None
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
