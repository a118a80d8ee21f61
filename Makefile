# The README's two commands are `make demo` and `make test`; both set up .venv first
# (tools/setup_env.sh does nothing when the environment is already complete).
PY := .venv/bin/python
# GENERATOR=2: the embedded pair's version 2 (docs/data.md, "Embedded pair v2") in its own data and
# results directories, so that version 1's stay as they are.
GENERATOR ?= 1
ifeq ($(GENERATOR),1)
DATA ?= data/synthetic
DEMO_OPTIONS ?=
else
DATA ?= data/synthetic_v$(GENERATOR)
DEMO_OPTIONS ?= --work-dir work_dirs/benchmark_synthetic_v$(GENERATOR) --cfg-options data_root=$(DATA)
endif
SEEDS ?= 1
JOBS ?= 2

.PHONY: env data demo test lint

env:
	bash tools/setup_env.sh

data: env
	$(PY) tools/data/generate_synthetic.py --out $(DATA) --generator-version $(GENERATOR)
	# per-class pixel counts of the source clips, for DAFormer's rare-class sampling
	$(PY) tools/data/class_frequencies.py configs/daformer/synthetic.py --out $(DATA)/source/train/class_stats.json \
		--cfg-options data_root=$(DATA)
	# class -> frame index of the source frames, for DA-STC's long-tail bank
	$(PY) tools/data/class_frame_index.py configs/da_stc/synthetic.py --out $(DATA)/source/class_frame_index.json \
		--cfg-options data_root=$(DATA)

demo: data
	$(PY) tools/benchmark.py configs/benchmarks/synthetic_table1.py --seeds $(SEEDS) --jobs $(JOBS) $(DEMO_OPTIONS)

lint: env
	.venv/bin/lint-imports
	.venv/bin/ruff check .

test: lint
	$(PY) -m pytest -q
