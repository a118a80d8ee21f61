# Source-free adaptation on the embedded sim-to-real pair (docs/source_free.md): the source-only
# model adapted with target clips only by the image SFDA baselines STPL compares with (HCL, URMA)
# and SHOT, and by STPL in our reading (docs/methods/stpl.md). Each adaptation row starts from the
# Source-only row's final checkpoint (depends) and never reads source data.
# Arch. column: SF = source-free. The paper's numbers (configs/_base_/paper_results_source_free.py)
# are for Cityscapes-Seq benchmarks, not this pair, so none is printed here.
# All specs of configs/benchmarks/ share this work dir, so the Source-only row that another table
# has finished is reused.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-'),
    dict(name='SHOT', config='configs/shot/synthetic.py', arch='SF', depends='Source-only'),
    dict(name='URMA', config='configs/urma/synthetic.py', arch='SF', depends='Source-only'),
    dict(name='HCL', config='configs/hcl/synthetic.py', arch='SF', depends='Source-only'),
    dict(name='STPL (our reading)', config='configs/stpl/synthetic.py', arch='SF',
         depends='Source-only', paper='STPL'),
]
