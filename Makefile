# Developer entry points. Everything runs from the virtualenv in .venv/.
#
#   make app     serve the trainee app (Voilà) at http://localhost:8866
#   make studiedag  a training day: trainee app on the network + facilitator dashboard (sim studiedag)
#   make test    unit tests, then the notebooks (nbval), in .venv
#   make lint    ruff check + ruff format --check
#   make bench   run every benchmarks/*.py
#   make clean   remove caches and build output (make distclean also removes .venv)

PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Extra arguments for the unit-test run, e.g. `make test PYTEST_ARGS="-q -k scoring"`.
# Drop the -n 2 (pytest-xdist, one worker per core) if xdist ever misbehaves.
PYTEST_ARGS ?= -q -n 2
# When set, `make test` writes pytest's exit code for the unit tests to this file (.ci/run uses it).
PYTEST_RC_FILE ?=
VOILA_PORT ?= 8866

NOTEBOOKS := $(wildcard notebooks/*.ipynb)
BENCHMARKS := $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py))

.PHONY: venv .venv test lint app studiedag bench clean distclean

# --- virtualenv ---------------------------------------------------------------

venv .venv: $(STAMP)

$(VPY):
	$(PY) -m venv $(VENV)

# Reinstalls whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --upgrade --progress-bar off pip
	$(VPY) -m pip install --progress-bar off -e '.[all]'
	@touch $@

# --- checks -------------------------------------------------------------------

test: $(STAMP)
	@rc=0; $(VPY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ -n "$(PYTEST_RC_FILE)" ]; then echo $$rc > "$(PYTEST_RC_FILE)"; fi; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit code 5); that counts as a failure." >&2; fi; \
	exit $$rc
ifneq ($(NOTEBOOKS),)
	SIM_DATA_DIR=$$(mktemp -d) $(VPY) -m pytest --nbval-lax --nbval-current-env -p no:python notebooks/
else
	@echo "make test: no notebooks/*.ipynb yet, skipping nbval."
endif

# Runs both, so that one report shows every problem.
lint: $(STAMP)
	@rc=0; \
	echo "$(VENV)/bin/ruff check ."; $(VENV)/bin/ruff check . || rc=1; \
	echo "$(VENV)/bin/ruff format --check ."; $(VENV)/bin/ruff format --check . || rc=1; \
	exit $$rc

# --- running ------------------------------------------------------------------

# Serves notebooks/ with Voilà (configured by voila.json: preheated kernels, ipc transport, closed tabs
# free their kernel, idle culling); / opens the trainee app, /voila/render/stappenplan.ipynb the
# protocol explorer. Data (SQLite) goes to SIM_DATA_DIR, default ./data. Extra Voilà options:
# make app VOILA_ARGS='--Voila.ip=0.0.0.0'
VOILA_ARGS ?=
app: $(STAMP)
	$(VPY) -m sim.ui.serve notebooks --port=$(VOILA_PORT) --no-browser $(VOILA_ARGS)

# A training day: the trainees' app on the room's network and the facilitator's dashboard on this
# computer (docs/facilitator-guide.md). make studiedag STUDIEDAG_ARGS='--scenario klassenapp-vo3 --deelnemers 60'
STUDIEDAG_ARGS ?=
studiedag: $(STAMP)
	$(VENV)/bin/sim studiedag $(STUDIEDAG_ARGS)

# Runs every benchmarks/*.py except helper modules whose name starts with "_".
bench: $(STAMP)
ifeq ($(BENCHMARKS),)
	@echo "make bench: no benchmarks/*.py yet."
else
	@set -e; for f in $(BENCHMARKS); do echo "== $$f"; $(VPY) "$$f"; done
endif

# --- housekeeping -------------------------------------------------------------

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis test-results
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
