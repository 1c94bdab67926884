# twin: two commands for a newcomer: `make demo` and `make test`.
# Both create .venv and install the project with every extra when needed.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_STAMP := $(VENV)/.pip-installed
OUT ?= out

.PHONY: install system-deps c-compiler gltf-tools demo test test-fast lint bench clean readme-image readme-card figures

# editable_mode=compat: the checkout on sys.path by a plain .pth line, no import hook, so the
# CLI starts sooner and a Ctrl-C in its first instant rarely lands inside CPython's start-up
# (benchmarks/startup_interrupts.py measures the windows)
$(PIP_STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]" --config-settings editable_mode=compat
	touch $(PIP_STAMP)

# The `twin` command: launcher/twin.c, which holds Ctrl-C back while Python starts (so a Ctrl-C
# at any moment ends with one line and exit 130), in place of pip's console script; linked
# statically where it can be, and run once (`--help`) before it replaces the script. Without a
# C compiler pip's script stays (a Ctrl-C in its first ~20 ms ends as CPython decides).
$(STAMP): $(PIP_STAMP) launcher/twin.c | c-compiler
	@if command -v $(CC) >/dev/null 2>&1; then \
	  for link in -static ""; do \
	    $(CC) -O2 -s $$link -DTWIN_PYTHON='"$(abspath $(PY))"' -o $(BIN)/twin.new \
	      launcher/twin.c 2>/dev/null && break; \
	  done; \
	  if $(BIN)/twin.new --help >/dev/null 2>&1; then mv -f $(BIN)/twin.new $(BIN)/twin; \
	  else rm -f $(BIN)/twin.new; echo "note: the twin launcher did not build or run;" \
	    "twin stays pip's script (launcher/twin.c)"; fi; \
	else echo "note: no C compiler ($(CC)); twin stays pip's script (launcher/twin.c)"; fi
	touch $(STAMP)

install: $(STAMP) system-deps gltf-tools

# System packages: headless Chromium checks the study report renders without errors.
system-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	    else echo "note: chromium not installed (needs root); the report browser test will skip"; fi; }

# A C compiler for the twin launcher: Debian's gcc when run as root and none is found.
c-compiler:
	@command -v $(CC) >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  ! command -v apt-get >/dev/null 2>&1 || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      gcc libc6-dev >/dev/null; } || echo "note: could not install a C compiler"

# npm packages for the animated glTF test: three.js plays it in Chromium, Khronos' validator.
gltf-tools:
	@test -d $(VENV)/npm/node_modules/three -a -d $(VENV)/npm/node_modules/gltf-validator || \
	  { if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund \
	      --prefix $(VENV)/npm three@0.187.0 gltf-validator@2.0.0-dev.3.10; \
	    else echo "note: npm not found; the animated glTF browser test will skip"; fi; }

demo: install
	$(BIN)/twin demo --headline --out $(OUT)/demo

# The README's picture: tote_line as shipped (3 robots, 1 swap dock), Monday 08:30.
readme-image: $(STAMP)
	$(BIN)/twin render lines/tote_line.yaml --hours 4 --seed 1 --at "8.5 h" --out docs/viewer.png

# The README's robot card, from the shipped calibration (again after `twin calibrate`).
readme-card: $(STAMP)
	$(BIN)/twin card walker_s2 --out docs --no-html

# Every documented figure that comes from a run, again (after `twin calibrate`, or a change
# to what a run makes): tables rewritten, figures in prose printed beside the old ones.
figures: $(STAMP)
	$(PY) benchmarks/refresh_figures.py

lint: $(STAMP)
	$(BIN)/ruff check twin viewer tests benchmarks
	$(BIN)/mypy twin viewer

# pytest on both cores (pytest-xdist); tests/conftest.py keeps workers apart and slow tests first.
PYTEST_PARALLEL ?= -n 2 --dist loadgroup

test: install lint
	$(BIN)/pytest -q $(PYTEST_PARALLEL) --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow" $(PYTEST_PARALLEL)

bench: $(STAMP)
	$(PY) -m twin.bench
	$(PY) -m twin.physics.bench
	$(PY) benchmarks/viewer_bench.py
	$(PY) benchmarks/study_bench.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .mypy_cache
