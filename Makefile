# Generative Models & Policy Gradients: the entry points.
#   make course   execute every lecture (solutions/) headless in fast mode -> build/
#   make test     the whole test suite (what CI runs)
#   make bench    benchmarks, one JSON object per line
#   make lab      JupyterLab on the student notebooks (fast mode; FULL=1 for full)
#   make release  regenerate notebooks/ from solutions/ with nbgrader
# Every target sets itself up on first use (.venv, pinned dependencies, MNIST cache) and
# reinstalls nothing afterwards. Variables: PYTHON (default python3), COURSE_DATA (data
# folder), FULL=1 (course / lab in full mode), ONLY=<pattern> (course/bench subset), LAB_ARGS
# (extra jupyter lab options), PYTEST_ARGS (extra pytest options).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.course-installed
EXCHANGE := $(or $(COURSE_EXCHANGE),course/exchange)
DEPS := requirements.txt requirements-lock.txt pyproject.toml tools/setup_venv.sh

# A relative COURSE_DATA means relative to here, also for kernels that run elsewhere.
ifdef COURSE_DATA
export COURSE_DATA := $(abspath $(COURSE_DATA))
endif

.PHONY: setup data course test bench lab release lock clean help

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

setup: $(STAMP) | $(EXCHANGE)

# nbgrader's exchange (release -> fetch, submit -> collect, feedback): COURSE_EXCHANGE, else
# course/exchange; created writable for every user of the machine (as nbgrader's docs ask).
$(EXCHANGE):
	mkdir -p -m 777 "$(EXCHANGE)"

$(STAMP): $(DEPS)
	bash tools/setup_venv.sh "$(PYTHON)" "$(VENV)"
	@touch $@

# Fetch, verify and cache MNIST and unit 6's MNIST classifier once (a quick check afterwards).
data: $(STAMP) | $(EXCHANGE)
	@$(PY) -m lecture_lib data prepare --classifier

course: data
	$(PY) tools/run_course.py $(if $(FULL),--full) $(if $(ONLY),--only "$(ONLY)")

test: data
	$(PY) -m pytest $(PYTEST_ARGS)

bench: data
	$(PY) benchmarks/run.py $(if $(ONLY),--only "$(ONLY)")

# Fast mode unless FULL=1: every notebook's Run All then takes minutes on a laptop CPU (the first
# cell of each prints the setting, both settings' costs and how to switch).
# nbgrader's student tools (Assignment List, Validate) with the course's exchange; the instructor's
# (Formgrader, Course List, Create Assignment) switched off: course/student/. Started in
# notebooks/: the Assignment List looks for downloaded assignments in the server's working folder.
lab: data | $(EXCHANGE)
	cd notebooks && COURSE_FAST=$(if $(FULL),0,1) JUPYTER_CONFIG_PATH="$(CURDIR)/course/student$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))" \
	$(abspath $(VENV))/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

release: $(STAMP)
	$(PY) -m autograder release

# Re-resolve requirements-lock.txt from requirements.txt in a scratch venv.
lock:
	bash tools/make_lock.sh "$(PYTHON)"

clean:
	rm -rf build .pytest_cache
