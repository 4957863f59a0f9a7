# Everything a fresh machine needs is set up by these targets themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench docker-test standalone clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "roleprobe needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	# Seal roleprobe's Python off from the application's (PYTHONPATH,
	# PYTHONHOME, user site, working directory): pip writes no flags.
	sed -i '1s|^\(#!/[^ ]*python[0-9.]*\)$$|\1 -I|' $(BIN)/roleprobe
	head -1 $(BIN)/roleprobe | grep -q -- ' -I$$'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python tests/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python tests/bench.py

standalone: $(STAMP)
	docker/build-standalone.sh --python $(BIN)/python build/standalone

# Real containers (podman): docker/setup.sh prepares the machine (tools, base
# images kept between runs, wheels), then pytest builds the images offline and
# runs tests/containers, which `make test` leaves out.
docker-test: $(STAMP)
	PYTHON=$(BIN)/python bash docker/setup.sh
	ROLEPROBE_CONTAINERS=1 $(BIN)/python -m pytest tests/containers

clean:
	rm -rf $(VENV) build dist tests/js/node_modules tests/js/.install.lock
