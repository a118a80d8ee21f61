# Source-free adaptation on VIPER -> Cityscapes-VPS (DeepLabv2 ResNet-50): the VIPER source-only
# model adapted with Cityscapes-VPS clips only (docs/source_free.md); the rows of
# synthetic_source_free.py with each method's viper2cityscapes config. Needs the prepared
# Cityscapes-VPS tree, its flow for STPL (docs/data.md) and GPUs (docs/benchmarks.md). STPL's
# published numbers are for Cityscapes-Seq (configs/_base_/paper_results_source_free.py), a
# different target set and class list, so they are not printed beside these rows.
work_dir = 'work_dirs/benchmark_viper2cityscapes'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/viper2cityscapes.py', arch='-'),
    dict(name='SHOT', config='configs/shot/viper2cityscapes.py', arch='SF', depends='Source-only'),
    dict(name='URMA', config='configs/urma/viper2cityscapes.py', arch='SF', depends='Source-only'),
    dict(name='HCL', config='configs/hcl/viper2cityscapes.py', arch='SF', depends='Source-only'),
    dict(name='STPL (our reading)', config='configs/stpl/viper2cityscapes.py', arch='SF',
         depends='Source-only', paper='STPL'),
]
