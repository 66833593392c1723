# Openhand — in the pelican-quickstart tradition. `make help` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PELICAN ?= $(BIN)/pelican
PELICANOPTS ?=

BASEDIR := $(CURDIR)
INPUTDIR := $(BASEDIR)/content
OUTPUTDIR := $(BASEDIR)/output
CONFFILE := $(BASEDIR)/pelicanconf.py
PUBLISHCONF := $(BASEDIR)/publishconf.py

PORT ?= 8000
NICHE ?=
ISSUE ?=
PYTEST_ARGS ?=

STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@echo 'Openhand: a free resource site and no-strings newsletters'
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14 | sed 's/^/  make /'
	@echo
	@echo '  make send NICHE=dental ISSUE=3   send one issue to its subscribers'
	@echo '  make serve PORT=8080              serve on another port'

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv from the pinned requirements (done once, automatically)

html: $(STAMP) ## Build the demo site into output/ (and emails into mail/)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) $(PELICANOPTS)

clean: ## Remove output/, mail/ (but not the send logs, mail/sent/) and caches
	rm -rf $(OUTPUTDIR) $(BASEDIR)/preview $(BASEDIR)/cache
	test ! -d $(BASEDIR)/mail || find $(BASEDIR)/mail -mindepth 1 -maxdepth 1 ! -name sent -exec rm -rf {} +

regenerate: $(STAMP) ## Rebuild on every change
	$(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) $(PELICANOPTS)

serve: $(STAMP) ## Serve output/ on http://127.0.0.1:$(PORT)
	$(PELICAN) -l $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b 127.0.0.1 -p $(PORT) $(PELICANOPTS)

devserver: $(STAMP) ## Rebuild on change and serve
	$(PELICAN) -lr $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b 127.0.0.1 -p $(PORT) $(PELICANOPTS)

publish: $(STAMP) ## Build with publishconf.py (absolute URLs, feeds)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(PUBLISHCONF) $(PELICANOPTS)

check: $(STAMP) ## Run the no-strings check on content/, output/ and mail/
	$(BIN)/openhand check --settings $(CONFFILE)

curate: $(STAMP) ## Write a draft issue for every niche from its feeds and picks
	$(BIN)/openhand curate --settings $(CONFFILE)

send: $(STAMP) ## Send an issue: make send NICHE=slug ISSUE=n
	@test -n "$(NICHE)" -a -n "$(ISSUE)" || { echo 'usage: make send NICHE=dental ISSUE=3' >&2; exit 2; }
	$(BIN)/openhand send --settings $(CONFFILE) --niche $(NICHE) --issue $(ISSUE)

test: $(STAMP) ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## Measure curation, build and sending against the peers
	$(BIN)/python bench/run.py

.PHONY: help install html clean regenerate serve devserver publish check curate send test bench
