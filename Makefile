# The few commands people need. Each target sets up its own virtual environment (.venv) first.
# torch==2.13.0 is installed before the package so that pip never resolves torch itself (an unpinned
# torch with none present pulls a multi-GB CUDA build); the package only asks for a range.
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0

.PHONY: bench test lint clean

$(VENV)/.ready: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test,bench,dev]"
	touch $@

bench: $(VENV)/.ready  ## the main job: speedup vs sparsity (python -m tilesparse.bench)
	$(PY) -m tilesparse.bench

test: $(VENV)/.ready  ## CPU: reference path + Triton kernels in the interpreter; GPU tests too where CUDA exists
	$(PY) -m pytest -q

lint: $(VENV)/.ready
	$(PY) -m ruff check src tests

clean:
	rm -rf $(VENV) .pytest_cache
