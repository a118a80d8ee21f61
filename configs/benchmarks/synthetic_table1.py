# Table 1 (mIoU) + Table 2 (VPQ^s) of the seed paper, on the embedded sim-to-real pair.
# Each row: name, config, Arch. column (AT adversarial, ST self-training, A+S both), and
# optionally `depends` (the row whose final checkpoint it starts from) and `cfg_options`.
# The adaptor issues add their rows here as the methods land.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-'),
    dict(name='Oracle', config='configs/oracle/synthetic.py', arch='-'),
]
