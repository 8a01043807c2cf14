# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install install-test system-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# Debian packages the real-server tests use (Dovecot IMAP); needs root and apt.
system-deps:
	bash .ci/system-deps

# Installs the bot and runs it on the bundled sample mails: SQLite store under var/,
# replies written as .eml files to var/outbox/ (nothing is sent over the network).
demo: install
	$(BIN)/intake demo

# Installs what the tests need (Python packages and Debian's Dovecot) and runs them.
test: system-deps install-test
	bash .ci/with-postgres $(BIN)/pytest

lint: install-test
	$(BIN)/ruff check intake parsers responders store tests benchmarks
	$(BIN)/mypy intake parsers responders store

bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
