# The README's two commands are `make demo` and `make test`; both set up .venv first
# (tools/setup_env.sh does nothing when the environment is already complete).
PY := .venv/bin/python
# The embedded pair (docs/data.md): version 2 by default, 3 seeds of Table 1 (about 13 minutes on
# 2 cores). GENERATOR=1: version 1 in its own data and results directories, at its own budget (every
# schedule 2.5 times as long, 4 clips per batch: the first wave's configs), one seed, so that the
# first wave's results are reproduced as they were.
GENERATOR ?= 2
ifeq ($(GENERATOR),1)
DATA ?= data/synthetic
SEEDS ?= 1
DEMO_OPTIONS ?= --work-dir work_dirs/benchmark_synthetic_v1 \
	--cfg-options data_root=$(DATA) schedule_scale=2.5 train_dataloader.batch_size=4
else
DATA ?= data/synthetic_v$(GENERATOR)
SEEDS ?= 3
DEMO_OPTIONS ?=
endif
JOBS ?= 2

.PHONY: env data demo test lint

env:
	bash tools/setup_env.sh

data: env
	$(PY) tools/data/generate_synthetic.py --out $(DATA) --generator-version $(GENERATOR)
	# per-class pixel counts of the source clips, for DAFormer's rare-class sampling, and the class ->
	# frame index of the source frames, for DA-STC's long-tail bank (side by side, one core each)
	$(PY) tools/data/class_frequencies.py configs/daformer/synthetic.py --out $(DATA)/source/train/class_stats.json \
		--cfg-options data_root=$(DATA) & stats=$$!; \
	$(PY) tools/data/class_frame_index.py configs/da_stc/synthetic.py --out $(DATA)/source/class_frame_index.json \
		--cfg-options data_root=$(DATA) && wait $$stats

demo: data
	$(PY) tools/benchmark.py configs/benchmarks/synthetic_table1.py --seeds $(SEEDS) --jobs $(JOBS) $(DEMO_OPTIONS)

lint: env
	.venv/bin/lint-imports
	.venv/bin/ruff check .

test: lint
	$(PY) -m pytest -q
