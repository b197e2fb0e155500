# steppe — set-up, demo, tests and benchmarks. Every target creates the environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STEPPE := $(VENV)/bin/steppe
STEPPE_TNTP_DIR ?= $(abspath ../shared/tntp)
export STEPPE_TNTP_DIR
# numba caches compiled kernels next to the sources (__pycache__), so only the first run compiles.

.PHONY: demo test bench lint docs clean env

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,dist]"
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

demo: env
	$(STEPPE) report all -o demo/report.html
	@if [ -d "$(STEPPE_TNTP_DIR)/Chicago-Sketch" ]; then \
		$(STEPPE) assign $(STEPPE_TNTP_DIR)/Chicago-Sketch --algorithm bfw --gap 1e-4 \
			--out demo/chicago-flows.parquet; \
	else echo "TNTP networks not found at $(STEPPE_TNTP_DIR): skipping the TNTP demo"; fi

test: env
	sh scripts/install-chromium.sh || echo "chromium not installed: the browser test will be skipped"
	$(PY) -m pytest -q -n 2

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.scenarios --draws 1000 --dask
	$(PY) -m benchmarks.draw_overhead

lint: env
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src/steppe

docs: env
	$(PY) -c "from steppe.model.schema import data_dictionary_markdown as d; print(d())" > docs/data-dictionary.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist demo
