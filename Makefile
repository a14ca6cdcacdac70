# swift-video-ext: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch 2.14.1 + torchvision 0.29.1 is the pair that works on CPU and GPU here; override for other machines.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= dev,decord
PYTEST_ARGS ?=

.PHONY: install demo test test-fast lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m swift_video_ext.demo --output demo_output

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# CPU benchmarks (results under bench_output/, summarised in docs/benchmarks.md); GPU ones: see that file.
bench: install
	$(PY) benchmarks/autoload_overhead.py
	$(PY) benchmarks/sampling.py
	$(PY) benchmarks/dataloader.py --resize

clean:
	rm -rf $(VENV) demo_output bench_output build dist *.egg-info
