# Two commands: `make run` (set up, load demo data into the embedded database, serve) and
# `make test` (set up, run the whole suite). Everything is installed into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
DEMO_ENTERPRISES ?= 2000

.PHONY: run test install translations messages lint clean

run: install translations
	$(FLASK) credit init
	$(FLASK) credit demo --if-empty --enterprises $(DEMO_ENTERPRISES)
	$(FLASK) credit user demo-accounts
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install translations
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Compiled catalogues are built, not committed.
translations: install
	$(BIN)/pybabel compile -d translations --statistics

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/*.db *.egg-info

# Refresh the catalogue after changing user-facing text; then translate the new entries.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --ignore-dirs='.venv' \
		--sort-output --no-location .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -N --no-fuzzy-matching
