PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.9

.PHONY: demo test durations screenshots bench lint setup clean

demo: $(STAMP)
	$(BIN)/leaseguard demo

# The tests keep Python's bytecode caches even where the environment turns them off (PYTHONDONTWRITEBYTECODE):
# otherwise every worker and every process a test starts compiles leaseguard's modules again, and pytest
# rewrites every test module's asserts again (about 7 s of each worker's collection).
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile

# The tests again, writing each file's seconds to tests/durations.json (the order `make test` hands files out).
durations: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile --store-durations -q

# The browser tests again, saving each page they see as tests/screenshots/<name>.png, for a person to look at.
screenshots: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile -q --screenshots \
		$$(grep -l "^ *from browser import" tests/test_*.py)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

setup: $(STAMP)

# uv installs what pip would (the same pins, the same resolution), fetching and unpacking in parallel, and first
# from its own cache alone (--offline; a machine that set up leaseguard before has every package there): from a
# warm cache pip took 32 s, uv 20 s (it builds pyspark's source package again), uv offline 0.5 s. Where the
# cache lacks a package, the offline attempt fails within a tenth of a second, nothing installed, and uv goes to
# the index. uv installs nothing compiled: compileall afterwards uses every core (-j 0), skipping what no
# process imports (packages' own tests, pip, setuptools): 21 s, then 14 s. Then what every process would
# otherwise do again until one had written it: the book engine's numba loops into numba's cache (~2.5 s of CPU
# a process), and the test modules as pytest rewrites their asserts (~7 s a test worker).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --offline -e '.[dev,spark]' 2>/dev/null \
		|| $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,spark]'
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q -j 0 -x '/(tests?|pip|setuptools)/' src $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	$(BIN)/python -m leaseguard.portfolio.warm
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest --collect-only -q -p no:cacheprovider > /dev/null
	$(BIN)/leaseguard evidence verifier --out tools/verify_evidence.py
	touch $(STAMP)

clean:
	rm -rf $(VENV) workspace
