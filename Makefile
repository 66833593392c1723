# Openhand — in the pelican-quickstart tradition. `make help` lists the targets.
# Every path is quoted in the recipes, so the project may live in a folder whose name has a space.
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PELICAN ?= $(BIN)/pelican
OPENHAND ?= $(BIN)/openhand
PELICANOPTS ?=

BASEDIR := $(CURDIR)
INPUTDIR := $(BASEDIR)/content
OUTPUTDIR := $(BASEDIR)/output
CONFFILE := $(BASEDIR)/pelicanconf.py
PUBLISHCONF := $(BASEDIR)/publishconf.py

# As pelican-quickstart's Makefile: make DEBUG=1 html, make RELATIVE=1 publish.
DEBUG ?= 0
ifeq ($(DEBUG), 1)
	PELICANOPTS += -D
endif

RELATIVE ?= 0
ifeq ($(RELATIVE), 1)
	PELICANOPTS += --relative-urls
endif

PORT ?= 8000
LIST_PORT ?= 8080
SERVER ?= 0.0.0.0
NICHE ?=
ISSUE ?=
ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers for make test: every test has its own folders, ports and servers, so several run side by
# side. Three on a 2-core machine: a third of the suite's time is spent waiting (on Chromium, relays, timeouts),
# and a third worker fills it (wall/CPU 0.60 against 0.645 with two; four gained nothing more).
TEST_JOBS ?= 3
# Each worker compiles the plugin and pytest rewrites every test module as it collects: where PYTHONDONTWRITEBYTECODE
# is set (as on this machine) none of it was kept, and every run's every worker paid ~5 s of CPU to collect, not ~2 s.
test fuzz: export PYTHONDONTWRITEBYTECODE =

# rsync_upload: where the published site goes (make rsync_upload SSH_HOST=example.org SSH_TARGET_DIR=/var/www/site).
SSH_HOST ?=
SSH_PORT ?= 22
SSH_USER ?=
SSH_TARGET_DIR ?=

# make cannot name a file with a space in a rule unless the space is escaped; recipes quote the plain name.
space := $(subst ,, )
STAMP_FILE = $(VENV)/.installed
STAMP = $(subst $(space),\$(space),$(STAMP_FILE))

.DEFAULT_GOAL := help

help: ## List the targets
	@echo 'Openhand: a free resource site and no-strings newsletters'
	@echo
	@grep -E '^[a-z_-]+:.*## ' Makefile | sed -E 's/:.*## /\t/' | expand -t 18 | sed 's/^/  make /' \
		| sed -e 's/\$$(PORT)/$(PORT)/g' -e 's/\$$(SERVER)/$(SERVER)/g' -e 's/\$$(LIST_PORT)/$(LIST_PORT)/g'
	@echo
	@echo '  make curate NICHE=dental ARGS="--date 2026-12-20 --force"   one niche, options passed on'
	@echo '  make send NICHE=dental ISSUE=3      send one issue to its subscribers'
	@echo '  make serve PORT=8080                serve on another port (now: $(PORT))'
	@echo '  make DEBUG=1 html                   Pelican in debug mode'
	@echo '  make RELATIVE=1 publish             relative URLs in a published build'
	@echo
	@echo 'Every make target runs the commands in $(VENV)/bin; to type them yourself:'
	@echo '  source $(VENV)/bin/activate    (then: openhand --help, pelican --help)'

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	test -x "$(BIN)/python" || $(PY) -m venv "$(VENV)"
	"$(BIN)/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	"$(BIN)/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch "$(STAMP_FILE)"

install: $(STAMP) ## Create .venv from the pinned requirements (done once, automatically)

html: $(STAMP) ## Build the demo site into output/ (emails into mail/, drafts into preview/)
	"$(PELICAN)" "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS)

clean: ## Remove output/, preview/, mail/ (but not the send logs, mail/sent/) and caches
	rm -rf "$(OUTPUTDIR)" "$(BASEDIR)/preview" "$(BASEDIR)/cache"
	test ! -d "$(BASEDIR)/mail" || find "$(BASEDIR)/mail" -mindepth 1 -maxdepth 1 ! -name sent -exec rm -rf {} +

regenerate: $(STAMP) ## Rebuild on every change
	"$(PELICAN)" -r "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS)

serve: $(STAMP) ## Serve output/ (and drafts at /preview/) on http://127.0.0.1:$(PORT)
	"$(OPENHAND)" --settings "$(CONFFILE)" serve --output "$(OUTPUTDIR)" --bind 127.0.0.1 --port $(PORT)

serve-global: $(STAMP) ## Serve on every interface: http://$(SERVER):$(PORT)
	"$(OPENHAND)" --settings "$(CONFFILE)" serve --output "$(OUTPUTDIR)" --bind $(SERVER) --port $(PORT)

devserver: $(STAMP) ## Rebuild on change and serve on http://127.0.0.1:$(PORT)
	"$(OPENHAND)" --settings "$(CONFFILE)" serve --regenerate --output "$(OUTPUTDIR)" --bind 127.0.0.1 --port $(PORT)

devserver-global: $(STAMP) ## Rebuild on change and serve on every interface ($(SERVER))
	"$(OPENHAND)" --settings "$(CONFFILE)" serve --regenerate --output "$(OUTPUTDIR)" --bind $(SERVER) --port $(PORT)

publish: $(STAMP) ## Build with publishconf.py (absolute URLs, feeds, sitemap.xml)
	"$(PELICAN)" "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(PUBLISHCONF)" $(PELICANOPTS)

rsync_upload: $(STAMP) ## Publish, then upload by rsync over ssh: SSH_HOST=... SSH_TARGET_DIR=...
	@test -n "$(SSH_HOST)" -a -n "$(SSH_TARGET_DIR)" || { echo 'usage: make rsync_upload SSH_HOST=example.org SSH_TARGET_DIR=/var/www/site [SSH_USER=me SSH_PORT=22]' >&2; exit 2; }
	"$(PELICAN)" "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(PUBLISHCONF)" $(PELICANOPTS)
	rsync -e "ssh -p $(SSH_PORT)" -P -rvzc --include tags --cvs-exclude --delete "$(OUTPUTDIR)"/ "$(if $(SSH_USER),$(SSH_USER)@)$(SSH_HOST):$(SSH_TARGET_DIR)"

check: $(STAMP) ## Run the no-strings check on content/, output/ and mail/
	"$(OPENHAND)" --settings "$(CONFFILE)" check

curate: $(STAMP) ## Write a draft issue per niche (NICHE=slug for one; ARGS="..." for more options)
	"$(OPENHAND)" --settings "$(CONFFILE)" curate $(if $(NICHE),--niche "$(NICHE)") $(ARGS)

send: $(STAMP) ## Send an issue: make send NICHE=slug ISSUE=n
	@test -n "$(NICHE)" -a -n "$(ISSUE)" || { echo 'usage: make send NICHE=dental ISSUE=3' >&2; exit 2; }
	"$(OPENHAND)" --settings "$(CONFFILE)" send --niche "$(NICHE)" --issue "$(ISSUE)" $(ARGS)

listen: $(STAMP) ## Serve the list endpoint (publishconf.py's LIST_ENDPOINT) on 127.0.0.1:$(LIST_PORT)
	"$(OPENHAND)" --settings "$(PUBLISHCONF)" listen --host 127.0.0.1 --port $(LIST_PORT)

inbox: $(STAMP) ## Read the list's mailbox: mailto: unsubscribes, bounces, complaints (ARGS=--dry-run)
	"$(OPENHAND)" --settings "$(PUBLISHCONF)" inbox $(ARGS)

test: $(STAMP) ## Run the whole test suite (TEST_JOBS=3 workers; TEST_JOBS=0 in this one process)
	"$(BIN)/python" -m pytest -n $(TEST_JOBS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

fuzz: $(STAMP) ## The property tests and kill loops on their whole budgets (make test runs a quarter of each)
	OPENHAND_FUZZ=1 "$(BIN)/python" -m pytest -n $(TEST_JOBS) -m "hypothesis or fuzz" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff and mypy (configured in pyproject.toml)
	"$(BIN)/ruff" check plugins tests bench
	"$(BIN)/mypy"

mutate: $(STAMP) ## Mutation testing: the kill rate of each module's tests (slow; ARGS="tracking -j 2")
	"$(BIN)/python" tools/mutate.py $(ARGS)

bench: $(STAMP) ## Measure curation, build, sending and the list endpoint against their targets
	"$(BIN)/python" bench/run.py

.PHONY: help install fuzz html clean regenerate serve serve-global devserver devserver-global publish rsync_upload \
	check curate send listen inbox test lint mutate bench
