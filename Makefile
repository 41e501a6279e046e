# The README's two set-up commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-stamp

.PHONY: install bytecode run test bench bench-quick lint schema screenshot clean

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Agentgraph needs Python 3.11+ (found: $$($(PYTHON) --version 2>&1))"; exit 1; }
	@test -x $(VENV)/bin/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@test -x $(VENV)/bin/uv || { echo "installing uv $(UV_VERSION) into $(VENV)"; \
		$(VENV)/bin/python -m pip --version > /dev/null 2>&1 || $(VENV)/bin/python -m ensurepip --default-pip > /dev/null; \
		$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	@echo "installing locked dependencies (uv.lock)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --inexact --compile-bytecode --quiet
	@touch $(STAMP)

# Bytecode for our own modules too: where PYTHONDONTWRITEBYTECODE is set, every process would
# otherwise compile them again (the test suite starts many). Only changed files are redone.
bytecode: install
	@$(VENV)/bin/python -m compileall -q -j 0 agentgraph gql usecases store domain migrations tests bench examples > /dev/null

run: bytecode
	$(VENV)/bin/agentgraph serve --demo

test: bytecode
	$(VENV)/bin/python -m pytest

# Agentgraph and PostGraphile side by side on a PostgreSQL of its own (needs Node and npm for
# autocannon); `make bench ARGS=--quick` or `make bench-quick` takes under 2 minutes.
bench: bytecode
	$(VENV)/bin/python -m bench $(ARGS)

bench-quick: bytecode
	$(VENV)/bin/python -m bench --quick $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

schema: install
	$(VENV)/bin/agentgraph export-schema > schema.graphql

# docs/fleet.png, the dashboard's fleet view of the demo fleet (needs /usr/bin/chromium).
screenshot: bytecode
	$(VENV)/bin/python scripts/fleet_screenshot.py docs/fleet.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
