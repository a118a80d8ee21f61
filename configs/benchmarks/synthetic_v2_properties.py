# Properties 1-4 of the embedded pair v2 (issue 20; docs/data.md, "Measured properties"): source-only,
# oracle and AdaBN on the default pair and budget, 3 seeds. `make data` makes the pair; then
#   python tools/benchmark.py configs/benchmarks/synthetic_v2_properties.py --jobs 2
# The rows are Table 1's (same names, configs and work dir), so `make demo` and this spec reuse
# each other's runs.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0, 1, 2]
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-'),
    dict(name='AdaBN', config='configs/adabn/synthetic.py', arch='-', depends='Source-only'),
    dict(name='Oracle', config='configs/oracle/synthetic.py', arch='-'),
]
