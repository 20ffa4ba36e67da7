# coopconc: `make lab` to open the course, `make test` to check everything.
# Every target that needs Python first makes sure .venv exists and is up to date.

VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

# nbval runs the notebooks with the kernel of *this* environment (--nbval-current-env),
# never a system-wide kernel. With no notebook yet, the step says so and passes; pytest's
# exit code 5 ("collected nothing", e.g. notebooks without code cells) is not a failure either.
# Only notebooks/*.ipynb: the Chinese course (notebooks/zh/) has the same code cells and outputs,
# which tests/test_zh.py checks without a kernel.
NBVAL     := $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg \
	-p no:randomly notebooks/*.ipynb
NBVAL_RUN := if ls notebooks/*.ipynb >/dev/null 2>&1; then \
	  $(NBVAL) || { rc=$$?; [ $$rc -eq 5 ] || exit $$rc; }; \
	else echo "nbval: no notebooks in notebooks/ yet, nothing to check"; fi

.PHONY: venv lab test unit nbval notebooks html course-times solutions bench lint format clean distclean

# ---- environment -----------------------------------------------------------

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name coopconc --display-name "coopconc (.venv)"
	touch $@

venv: $(VENV)/.installed

# ---- the course ------------------------------------------------------------

lab: venv
	@mkdir -p notebooks
	@echo "Starting JupyterLab on notebooks/ (Ctrl-C to stop)."
	@echo "Open the http://127.0.0.1:...?token=... URL printed below in your browser."
	$(VENV)/bin/jupyter lab --allow-root --no-browser --ip=127.0.0.1 --ServerApp.root_dir=notebooks

# The notebooks are written in notebooks/src/*.py; this builds and runs every one of them
# (`make notebooks NB="04 07"` for some), then rebuilds their Chinese copies in notebooks/zh/
# (no kernel run: `notebooks/build_zh.py --status` lists translations to bring up to date).
notebooks: venv
	$(PY) notebooks/build.py $(NB)
	$(PY) notebooks/build_zh.py $(NB)

html: venv
	$(PY) notebooks/export_html.py build/html

# How long each notebook's cells take, as a teacher runs them in class (a report, not a test;
# `make course-times NB="01 19"` for some; COOPCONC_FULL=1 for the full-size measurements).
course-times: venv
	$(PY) notebooks/course_times.py $(NB)

# Worked solutions of the exercises live in notebooks/solutions/; this shows each passes its
# checker, and that the notebook's stub, an empty answer and each plausible wrong answer fail.
solutions: venv
	$(PY) -m pytest -q tests/test_exercises.py

# ---- checks ----------------------------------------------------------------

test: venv
	$(PY) -m pytest tests
	$(NBVAL_RUN)

unit: venv
	$(PY) -m pytest tests

nbval: venv
	$(NBVAL_RUN)

bench: venv
	$(PY) -m coopconc.bench

lint: venv
	$(VENV)/bin/ruff check coopconc tests
	$(VENV)/bin/ruff format --check coopconc tests

format: venv
	$(VENV)/bin/ruff check --fix coopconc tests
	$(VENV)/bin/ruff format coopconc tests

# ---- cleaning --------------------------------------------------------------

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
