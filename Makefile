# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test demo bench notebooks outputs install install-examples dot clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes; the stamp records the last install.
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed-test

$(VENV)/.installed-examples: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[examples]'
	touch $@

install-examples: $(VENV)/.installed-examples

# The graphviz `dot` binary renders autograd.viz's SVGs; install it when missing.
dot:
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq graphviz >/dev/null; }

test: install dot
	$(PY) -m pytest

# The main job: train a CNN on scikit-learn's bundled digits; results land in out/.
demo: install-examples dot
	$(PY) examples/train_digits.py --out out

# The walkthroughs in JupyterLab (make test executes them all).
notebooks: install dot
	$(PY) -m pip install -q jupyterlab
	$(VENV)/bin/jupyter lab notebooks/

# Re-execute every notebook in place and redraw docs/ figures (after a library change).
outputs: install dot
	$(PY) tools/execute_notebooks.py

# Speed against PyTorch CPU, both engines in one interleaved run (see benchmarks/run.py);
# `make bench BENCH_ARGS=--untuned` runs chainrule without autograd.tune_process().
bench: install
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
