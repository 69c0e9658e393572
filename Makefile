# snnc: every target sets up its own virtualenv (.venv) on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CONFIGS := C1 C2 C3 C4 C5 C6 C7 C8

.PHONY: all-configs test demo demo-bn bench table4 check-all clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[sim,nir,demo,test]"
	touch $(STAMP)

## Compile the eight experiment configurations C1-C8 and print one row per build.
all-configs: $(STAMP)
	$(PY) -m compiler.tools.configs $(addprefix specs/,$(addsuffix .json,$(CONFIGS)))

## Run the test suite (generated code is executed in the real simulators).
test: $(STAMP)
	$(PY) -m pytest -q

## Train specs/digits.json on scikit-learn's digits in snnTorch, evaluate it in all three (build/demo.png).
demo: $(STAMP)
	$(PY) -m compiler.tools.demo

## Train specs/digits_bn.json (a batch-norm CSNN) in SpikingJelly in training mode, evaluate it in eval mode in all three (build/demo_bn.png).
demo-bn: $(STAMP)
	$(PY) -m compiler.tools.demo --spec specs/digits_bn.json --train-in spikingjelly --encoding direct --epochs 12 \
		--out build/demo_bn.png

## Compile every config for all three simulators, run them, and prove their spikes agree.
check-all: $(STAMP)
	@for c in $(CONFIGS); do $(PY) -m compiler check specs/$$c.json --time-steps 30 || exit 1; done

## Compile-time and inference benchmarks (prints figures; never asserted by tests).
bench: $(STAMP)
	$(PY) tests/bench/bench.py

## The paper's Table 4 (C3 vs C4) on this machine; also writes build/table4.csv.
table4: $(STAMP)
	$(PY) tests/bench/table4.py

clean:
	rm -rf build .pytest_cache .hypothesis .benchmarks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf $(VENV)
