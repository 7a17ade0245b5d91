# Two commands: `make run` starts the service, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := $(wildcard bot knowledge handoff tests benchmarks)

.PHONY: run test bench lint chromium clean screenshots

# uv installs the same releases as pip from the same index, in a third of the time (the
# bytecode compiled on both cores); a fresh clone's `make test` spends that time first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.13,<1'

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

# Without a helpline.toml of your own, the sample deployment with its demo accounts.
run: $(STAMP)
	$(BIN)/helpline run $(if $(wildcard helpline.toml),,--config examples/it-helpdesk/helpline.toml)

# Debian's chromium-headless-shell (Chromium's Blink in its older headless mode, which is
# what Playwright itself runs headless) drives the browser tests; installed when missing
# and we are root. It takes about two thirds of the full browser's CPU in these tests.
chromium:
	@if [ ! -x /usr/bin/chromium-headless-shell ] && [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's chromium-headless-shell for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null; \
	fi

# One pytest worker per core (pytest-xdist); a test module stays on one worker, so its
# module fixtures (the action server, the sample search index) are built once. The long
# modules go first (tests/conftest.py), so that neither worker ends the run alone on one.
# mypy checks the types meanwhile: the workers leave a tenth or more of the cores' time idle
# (waiting on service processes and the browser), and a fresh clone's mypy takes 15 s of
# one core. Its report follows pytest's; either failing fails the target.
test: $(STAMP) chromium
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	@$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & typing=$$!; \
	trap 'kill $$typing 2>/dev/null; exit 130' INT TERM; \
	echo "$(BIN)/pytest -n auto --dist loadscope --no-loadscope-reorder (and $(BIN)/mypy)"; \
	$(BIN)/pytest -n auto --dist loadscope --no-loadscope-reorder; tests=$$?; \
	wait $$typing; typed=$$?; \
	echo "$(BIN)/mypy"; cat $(VENV)/mypy.log; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

# The long measurements (docs/performance.md, docs/knowledge.md); not part of `make test`.
bench: $(STAMP)
	$(BIN)/python benchmarks/load/run.py
	$(BIN)/python benchmarks/knowledge/search_speed.py
	$(BIN)/python benchmarks/knowledge/reload.py

clean:
	rm -rf $(VENV) helpline.db helpline.db-wal helpline.db-shm

# Refresh the README's screenshots (docs/screenshots/) from the browser tests.
screenshots: $(STAMP) chromium
	HELPLINE_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/bot/web/test_browser.py tests/bot/web/test_browser_chat.py
