# Two commands matter: `make run` serves the app, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run demo test install translations strings screenshots bench bench-served clean

run: install translations
	@echo "Mostrador on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	@# The workers' metric files of the last start would be added to this one's: start from an empty folder.
	@if [ -n "$$PROMETHEUS_MULTIPROC_DIR" ]; then mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && \
		rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db; fi
	@# LOG_FORMAT=json: the app logs each request as a JSON line; gunicorn's access lines would repeat them.
	$(BIN)/gunicorn --no-control-socket --preload --workers $(WORKERS) --bind $(HOST):$(PORT) \
		$(if $(filter json,$(LOG_FORMAT)),,--access-logfile -) wsgi:app

demo: install translations
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo

test: install translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The compiled catalogues (.mo) are built from the .po files that translators edit.
translations: install
	$(BIN)/pybabel compile --statistics -d translations

# After adding UI text: collect every marked string and merge it into each language's .po file.
strings: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k Nn_:1,2 -o translations/messages.pot --no-location --sort-output \
		--ignore-dirs=".* _* tests migrations bench docs" .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations

screenshots: install translations
	$(BIN)/python docs/take_screenshots.py

bench: install translations
	$(BIN)/python bench/customers_list.py

# Served as `make run` serves it, against a minimal Flask app's ceiling (bench/served.py; needs wrk).
bench-served: install translations
	$(BIN)/python bench/served.py

clean:
	rm -rf $(VENV) .pytest_cache
