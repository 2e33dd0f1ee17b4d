# bookkeeper.ops: one entry point for setting up, testing and demonstrating the collection.
#   make demo    the demo: a failed upgrade and its rollback on the built-in local cluster
#   make demo-real  the same story on real BookKeeper bookies on a real node, with a writer counting every entry
#   make test    every check: lint, sanity, unit tests, integration tests on the local cluster
#   make docs    regenerate docs/reference (the modules', plugins' and roles' documentation)
#   make drill   fault drills (kill -9, API server restart and pause, two runs at once) on a cluster of their own
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# The collection must sit under ansible_collections/<namespace>/<name>: a link for
# running code, a copy for ansible-test, which wants real files.
LINKS := $(CURDIR)/build/links
COPY := $(CURDIR)/build/copy/ansible_collections/bookkeeper/ops
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(LINKS)
export PYTHONPATH := $(LINKS)
export ANSIBLE_NOCOLOR := 1

.PHONY: help venv lock links lint docs sanity unit cores integration test drill cluster-build cluster-up cluster-down demo clean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements/dev.txt

# Every virtual environment: <dir>/.stamp made from the requirements file it depends on, afresh when that changes.
# The list is below, each with its file: .venv, build/docs-venv, build/importer and build/core-<version>.
%/.stamp:
	@echo "== setting up $(@D) from $< (about a minute the first time)"
	rm -rf $(@D) && $(PYTHON) -m venv $(@D)
	$(@D)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

lock:
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/pip install --quiet -r requirements/dev.in
	{ echo "# Generated from requirements/dev.in with 'make lock' (Python 3.11); do not edit by hand."; \
	  build/lock/bin/pip freeze; } > requirements/dev.txt
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/pip install --quiet -r requirements/importer.in
	{ echo "# Generated from requirements/importer.in with 'make lock' (Python 3.11); do not edit by hand."; \
	  build/lock/bin/pip freeze; } > requirements/importer.txt
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/pip install --quiet -r requirements/docs.in
	{ echo "# Generated from requirements/docs.in with 'make lock' (Python 3.11); do not edit by hand."; \
	  build/lock/bin/pip freeze; } > requirements/docs.txt
	for core in $(CORES); do \
	  rm -rf build/lock && $(PYTHON) -m venv build/lock; \
	  build/lock/bin/pip install --quiet -r requirements/cores.in "ansible-core==$$core.*"; \
	  { echo "# Generated from requirements/cores.in and ansible-core $$core.* with 'make lock' (Python 3.11);" \
	      "do not edit by hand."; build/lock/bin/pip freeze; } > requirements/core-$$core.txt; \
	done

links:
	@mkdir -p $(LINKS)/ansible_collections/bookkeeper
	@ln -sfn $(CURDIR) $(LINKS)/ansible_collections/bookkeeper/ops

# antsibull-docs has a venv of its own (see requirements/docs.in); it runs the ansible-doc next to it.
DOCS_VENV := $(CURDIR)/build/docs-venv
ANTSIBULL_DOCS := PATH=$(DOCS_VENV)/bin:$$PATH $(DOCS_VENV)/bin/antsibull-docs
$(DOCS_VENV)/.stamp: requirements/docs.txt

lint: venv links $(DOCS_VENV)/.stamp
	@echo "== ruff"
	ruff check plugins tests scripts bench
	ruff format --check plugins tests scripts bench
	@echo "== ansible-lint (production profile)"
	@# ansible-lint installs the collection it checks under ANSIBLE_HOME: keep that copy inside build/, where it
	@# cannot shadow the working tree in later runs, and let it be the only copy it sees (no build/links).
	env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH ANSIBLE_HOME=$(CURDIR)/build/ansible-home ansible-lint
	@echo "== antsibull-changelog lint"
	antsibull-changelog lint
	@echo "== antsibull-docs lint, and docs/reference as antsibull-docs renders it"
	$(ANTSIBULL_DOCS) lint-collection-docs --plugin-docs $(LINKS)/ansible_collections/bookkeeper/ops
	$(MAKE) --no-print-directory docs DOCS_DEST=build/docs-check
	diff -ru docs/reference build/docs-check || { echo "docs/reference is stale: run make docs"; exit 1; }

# reStructuredText that GitHub shows, from the modules' and plugins' DOCUMENTATION and the roles' argument specs.
DOCS_DEST ?= docs/reference
docs: links $(DOCS_VENV)/.stamp
	rm -rf $(DOCS_DEST) && mkdir -p $(DOCS_DEST)
	$(ANTSIBULL_DOCS) collection --use-current --output-format simplified-rst --squash-hierarchy --fail-on-error \
	  --dest-dir $(DOCS_DEST) bookkeeper.ops

# ansible-test bootstraps pip in its test environments with a script from its own
# file host; scripts/ansible_test_get_pip.py does the same from PyPI.
PIP_BOOTSTRAP := $(HOME)/.ansible/test/cache/get_pip_24_2.py

sanity: venv
	@echo "== ansible-test sanity"
	mkdir -p $(dir $(PIP_BOOTSTRAP)) && cp scripts/ansible_test_get_pip.py $(PIP_BOOTSTRAP)
	rm -rf $(dir $(COPY)) && mkdir -p $(COPY)
	git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
	  | tar -cf - -T - | tar -xf - -C $(COPY)
	cd $(COPY) && git init -q && git add -A && ansible-test sanity --python 3.11 --venv --color no --exclude scripts/

# Only kubernetes.core and awx.awx are kept of the ansible package: the rest is about 470 MB.
REFERENCE := $(CURDIR)/build/reference
$(REFERENCE)/.stamp: requirements/reference.txt $(VENV)/.stamp
	rm -rf $(REFERENCE)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --target $(REFERENCE) -r requirements/reference.txt
	find $(REFERENCE)/ansible_collections -mindepth 1 -maxdepth 1 ! -name kubernetes ! -name awx -exec rm -rf {} +
	touch $@

# galaxy-importer (tests/unit/test_distribution.py) needs an older attrs than .venv has: it gets its own.
IMPORTER := $(CURDIR)/build/importer
$(IMPORTER)/.stamp: requirements/importer.txt

unit: venv links $(REFERENCE)/.stamp $(IMPORTER)/.stamp
	@echo "== unit tests (no cluster)"
	pytest -p no:cacheprovider tests/unit --cov=plugins/module_utils --cov-report=term-missing

# The older ansible-core versions that meta/runtime.yml admits, one venv each from requirements/core-<version>.txt
# (to add one, create that file empty and run make lock): the unit tests here, one rollout each in
# tests/integration/test_cores.py. The core of requirements/dev.txt runs everything. The state machine's property
# tests are pure Python and the slowest: `make unit` runs them.
CORES := $(patsubst requirements/core-%.txt,%,$(wildcard requirements/core-*.txt))
CORE_VENVS := $(CORES:%=build/core-%/.stamp)
$(foreach core,$(CORES),$(eval build/core-$(core)/.stamp: requirements/core-$(core).txt))

cores: links $(REFERENCE)/.stamp $(CORE_VENVS)
	for core in $(CORES); do \
	  echo "== unit tests on ansible-core $$core"; \
	  build/core-$$core/bin/python -m pytest -p no:cacheprovider -q tests/unit/plugins \
	    --ignore tests/unit/plugins/module_utils/core/test_machine_properties.py; \
	done

integration: venv links cluster-build $(CORE_VENVS)
	@echo "== integration tests (local control plane)"
	pytest -p no:cacheprovider tests/integration -m integration --cov=plugins/module_utils --cov-append \
	  --cov-report=term-missing

test: lint sanity unit cores integration
	@echo "== all checks passed"

# Not part of `make test`: about 27 minutes. bench/drill.py starts and removes the cluster bk-drill.
drill: venv links cluster-build
	@echo "== fault drills (cluster bk-drill)"
	$(BIN)/python bench/drill.py

cluster-build:
	scripts/cluster.sh build

cluster-up:
	@scripts/cluster.sh up

cluster-down:
	@scripts/cluster.sh down

demo: venv links
	scripts/demo.sh

.PHONY: demo-real
demo-real: venv links cluster-build
	scripts/cluster/demo_real.sh

clean:
	rm -rf build .venv .pytest_cache .hypothesis .coverage
