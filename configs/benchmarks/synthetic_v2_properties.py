# Properties 1-4 of the embedded pair v2 (issue 20; docs/data.md, "Embedded pair v2"): source-only,
# oracle and AdaBN, the embedded configs unchanged, pointed at a v2 pair through their declared
# config variable data_root. The pair comes first:
#   python tools/data/generate_synthetic.py --generator-version 2 --out data/synthetic_v2
#   python tools/benchmark.py configs/benchmarks/synthetic_v2_properties.py --seeds 3 --jobs 2
# Its own work dir: the rows have the names of Table 1's but another pair.
work_dir = 'work_dirs/benchmark_synthetic_v2'
seeds = [0]
_v2 = dict(data_root='data/synthetic_v2')
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-', cfg_options=_v2),
    dict(name='AdaBN', config='configs/adabn/synthetic.py', arch='-', depends='Source-only',
         cfg_options=_v2),
    dict(name='Oracle', config='configs/oracle/synthetic.py', arch='-', cfg_options=_v2),
]
