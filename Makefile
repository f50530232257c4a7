# The course's two commands (see README.md):
#   make lab    opens the course in JupyterLab (loopback only, with JupyterLab's token)
#   make test   lint, unit tests and every notebook executed by nbval
# and, for contributors, a quick loop:
#   make test-fast   lint and the unit tests that start no kernel (under a minute)
# Each one creates the virtual environment .venv first if it is missing or outdated.

PYTHON ?= python3
VENV ?= .venv
# Exact tested versions (pyproject.toml has the ranges). The oldest supported set, as on
# Colab: make venv VENV=.venv-oldest CONSTRAINTS=constraints-oldest.txt EXTRAS=test
CONSTRAINTS ?= constraints.txt
EXTRAS ?= test,lab
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed

# TensorFlow reads these when it is imported: keep its C++ log lines out of notebooks.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export TF_ENABLE_ONEDNN_OPTS ?= 0
# One BLAS thread: faster for the course's tiny matrices, far faster on a busy machine.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: lab test test-fast lint format venv clean-venv html

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# uv installs the same pinned versions about 3x faster than pip (35 s against 113 s for a
# fresh .venv here); where uv cannot be had or fails, pip does the install as before.
# --compile-bytecode: pip compiles .pyc files at install, uv does not; where
# PYTHONDONTWRITEBYTECODE is set (as on this CI machine) nothing ever writes them, and
# every kernel then compiles TensorFlow again on import: 10 s instead of 5 s here.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) uv \
		&& $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c $(CONSTRAINTS) -e ".[$(EXTRAS)]" \
		|| $(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	@touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Through ./start, as on Binder: it adds the course's JupyterLab settings (jupyter-config/).
lab: $(STAMP)
	./start $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
		--LabApp.default_url=/lab/tree/notebooks/00_course_index.ipynb

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

# No notebook, no kernel, no browser: the package's unit tests and the notebooks' shape.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MPLBACKEND=Agg $(BIN)/python -m pytest -m "not kernel and not browser" tests

# Executed HTML copies of the notebooks (figures included) in build/html, with an index.
# One notebook: make html NOTEBOOKS=notebooks/03_dropout.ipynb
html: $(STAMP)
	$(BIN)/python -m course_utils.render --out build/html $(NOTEBOOKS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-venv:
	rm -rf $(VENV)
