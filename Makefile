# Keyportal. Quick start: `make run` (serves http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# Installs come from the lock files only: exact versions, every download checked against its
# sha256. The editable install of the project itself adds no packages (--no-deps) and builds
# with the locked setuptools (--no-build-isolation); `pip check` then fails if pyproject.toml
# asks for something the lock files do not provide (run `make lock`).
PIP := $(BIN)/python -m pip
define install_locked
	$(PIP) install --quiet --require-hashes -r $(1)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@out=$$($(PIP) check) || { echo "$$out" >&2; \
	  echo "$(1) does not satisfy pyproject.toml: run 'make lock'" >&2; exit 1; }
endef

# `make lock` regenerates requirements/dev.txt (runtime + the dev extra) and, from it,
# requirements/run.txt (runtime only, the same versions). Existing pins are kept unless
# pyproject.toml needs otherwise; `make lock LOCK_ARGS=--upgrade` moves every pin to the
# newest release its range allows, `LOCK_ARGS="--upgrade-package redis"` only one.
LOCK_ARGS ?=
LOCK_HEADER := make lock  (after any change to pyproject.toml's dependencies)
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="$(LOCK_HEADER)" $(BIN)/pip-compile --quiet \
	--generate-hashes --strip-extras --allow-unsafe --build-deps-for editable \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test lint check-migrations lock bench schemathesis-long screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements/run.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/run.txt)
	touch $@

# dev.txt holds every pin of run.txt, at the same version.
$(VENV)/.installed-dev: requirements/dev.txt requirements/run.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/dev.txt)
	touch $@ $(VENV)/.installed-run

lock: | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt  # pip-tools, as locked
	$(PIP_COMPILE) $(LOCK_ARGS) --extra dev -o requirements/dev.txt pyproject.toml
	$(PIP_COMPILE) --upgrade --constraint requirements/dev.txt -o requirements/run.txt pyproject.toml

# A fresh clone first gets a git-ignored .env saying DEBUG=1, which the settings read:
# `.venv/bin/python manage.py …` then works as it does here. Mail (the verification and
# password-reset links) is printed on this console.
run: $(VENV)/.installed-run
	@test -f .env || { printf '%s\n' "# Local development, written by make run (git-ignored)." "DEBUG=1" > .env && echo "Wrote .env (DEBUG=1)."; }
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

check-migrations: $(VENV)/.installed-dev
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

test: lint check-migrations
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m benchmarks.run --smoke  # every bench endpoint and count, never timings

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

schemathesis-long: $(VENV)/.installed-dev  # 500 examples per operation, a few minutes
	SCHEMATHESIS_MAX_EXAMPLES=500 $(BIN)/python -m pytest tests/reliability/test_schemathesis.py

screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
