# Targets behind ./dev (README) and .ci/run. Python lives in .venv; PostGIS in var/pgdata on port 55432
# unless DATABASE_URL points elsewhere.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup db demo serve test lint pytest bench clean-db drills drill-crash drill-outage drill-netfault \
	drill-retries drill-backup drill-diskfull drill-load

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(BIN)/fengqiao setup

demo: db
	$(BIN)/fengqiao demo

serve: setup
	$(BIN)/fengqiao serve

lint: setup
	$(BIN)/ruff check gis api maps tests bench drills
	$(BIN)/mypy
	$(BIN)/lint-imports

# `make test` (./dev test, .ci/run): lint, the fast tests, then the slow families in order, each its own pytest
# run; the first failure stops it. `make pytest` runs everything in one session (PYTEST_ARGS narrows it).
FAST := not browser and not processes and not drill
# WORKERS=2 runs the fast tests in two pytest-xdist processes (each with its own databases); 0 (the default)
# runs them in one: on two cores one process and PostgreSQL already keep both busy (measured: no gain).
WORKERS ?= 0
.PHONY: test-fast test-browser test-processes test-drills

pytest: setup
	$(BIN)/fengqiao db up >/dev/null || true
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint test-fast test-browser test-processes test-drills

test-fast: setup
	$(BIN)/fengqiao db up >/dev/null || true
	$(BIN)/pytest -m "$(FAST)" -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

test-browser: setup
	$(BIN)/fengqiao db up >/dev/null || true
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

test-processes: setup
	$(BIN)/fengqiao db up >/dev/null || true
	$(BIN)/pytest -m processes $(PYTEST_ARGS)

test-drills: setup
	$(BIN)/pytest -m drill $(PYTEST_ARGS)

bench: db
	for f in bench/bench_*.py; do $(PY) $$f || exit 1; done

clean-db:
	$(BIN)/fengqiao db down; rm -rf var/pgdata

# Reliability drills (README "Reliability drills"): each builds a throwaway cluster (an owner role migrates, the
# server runs as the application role under row-level security), prints its figures and writes them to
# var/drills/. Short versions run in CI (tests/test_drills.py). DRILL_ARGS passes options. Explicit rules: make
# never searches pattern rules for a .PHONY target, so `drill-%:` alone made every target "Nothing to be done".
DRILLS := crash outage netfault retries backup diskfull load

drill-crash: setup
	$(PY) -m drills crash $(DRILL_ARGS)
drill-outage: setup
	$(PY) -m drills outage $(DRILL_ARGS)
drill-netfault: setup
	$(PY) -m drills netfault $(DRILL_ARGS)
drill-retries: setup
	$(PY) -m drills retries $(DRILL_ARGS)
drill-backup: setup
	$(PY) -m drills backup $(DRILL_ARGS)
drill-diskfull: setup
	$(PY) -m drills diskfull $(DRILL_ARGS)
drill-load: setup
	$(PY) -m drills load $(DRILL_ARGS)

drills: $(addprefix drill-,$(DRILLS))
