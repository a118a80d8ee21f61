# The README's two commands are `make demo` and `make test`; both set up .venv first
# (tools/setup_env.sh does nothing when the environment is already complete).
PY := .venv/bin/python
DATA ?= data/synthetic
SEEDS ?= 1
JOBS ?= 2

.PHONY: env data demo test lint

env:
	bash tools/setup_env.sh

data: env
	$(PY) tools/data/generate_synthetic.py --out $(DATA)
	# per-class pixel counts of the source clips, for DAFormer's rare-class sampling
	$(PY) tools/data/class_frequencies.py configs/daformer/synthetic.py --out $(DATA)/source/train/class_stats.json
	# class -> frame index of the source frames, for DA-STC's long-tail bank
	$(PY) tools/data/class_frame_index.py configs/da_stc/synthetic.py --out $(DATA)/source/class_frame_index.json \
		--cfg-options model.long_tail_bank.dataset.data_root=$(DATA)

demo: data
	$(PY) tools/benchmark.py configs/benchmarks/synthetic_table1.py --seeds $(SEEDS) --jobs $(JOBS)

lint: env
	.venv/bin/lint-imports
	.venv/bin/ruff check .

test: lint
	$(PY) -m pytest -q
