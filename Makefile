# Two commands do all the set-up: `make demo` and `make test`.
# Both create .venv on first use (torch and torchvision install from the local wheels).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test golden lint bench pictures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
	$(BIN)/pip install --quiet -e ".[torch,dev,onnx]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m archdsl.demo

# One worker per core (pytest-xdist); plain `pytest` runs in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(if $(CUDA),--device cuda,)

golden: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_golden.py --update-golden
	$(BIN)/python tools/gen_textmate.py

# The README's U-Net picture, drawn by graphviz-pure (a dev dependency), whose output
# is the same bytes on every platform; tests/test_graph.py checks it is up to date.
pictures: $(STAMP)
	$(BIN)/archdsl graph specs/unet.arch -o docs/unet.svg -p n_channels=3 -p n_classes=2 --dot graphviz-pure

lint: $(STAMP)
	$(BIN)/ruff check archdsl tests tools benchmarks
	$(BIN)/ruff format --check archdsl tests tools benchmarks

clean:
	rm -rf $(VENV) out
