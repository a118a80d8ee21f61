# Tables 1 and 2 of Shin et al. (2021) on the real benchmark (VIPER -> Cityscapes-VPS, DeepLabv2
# ResNet-50), printed beside the paper's own rows (configs/_base_/paper_results.py). Needs the
# prepared datasets (docs/data.md) and GPUs (docs/benchmarks.md). The rows are those of
# synthetic_table1.py with each method's viper2cityscapes config.
_base_ = ['../_base_/paper_results.py']
work_dir = 'work_dirs/benchmark_viper2cityscapes'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/viper2cityscapes.py', arch='-'),
    dict(name='AdaptSegNet', config='configs/adaptsegnet/viper2cityscapes.py', arch='AT'),
    dict(name='ADVENT', config='configs/advent/viper2cityscapes.py', arch='AT'),
    dict(name='VAT', config='configs/vat/viper2cityscapes.py', arch='AT'),
    dict(name='CBST', config='configs/cbst/viper2cityscapes.py', arch='ST', depends='Source-only'),
    dict(name='CRST', config='configs/crst/viper2cityscapes.py', arch='ST', depends='Source-only'),
    dict(name='CBST*', config='configs/cbst_star/viper2cityscapes.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='CRST*', config='configs/crst_star/viper2cityscapes.py', arch='A+S',
         depends='AdaptSegNet'),
    # IAST's own warm-up (LSGAN, Adam 2e-5) from the source-only model, then its self-training.
    dict(name='IAST warm-up', config='configs/iast/viper2cityscapes_warmup.py', arch='AT',
         depends='Source-only'),
    dict(name='IAST', config='configs/iast/viper2cityscapes.py', arch='A+S', depends='IAST warm-up'),
    dict(name='Ours (VAT+VST)', config='configs/vst/viper2cityscapes.py', arch='A+S', depends='VAT',
         paper='Ours'),
    dict(name='Oracle', config='configs/oracle/viper2cityscapes.py', arch='-'),
    dict(name='AdaBN', config='configs/adabn/viper2cityscapes.py', arch='-', depends='Source-only'),
    # Later video methods (not in Shin et al. (2021)'s tables; their own benchmarks' published rows:
    # configs/_base_/paper_results_video_benchmarks.py).
    dict(name='DA-VSN', config='configs/da_vsn/viper2cityscapes.py', arch='AT'),
    dict(name='TPS', config='configs/tps/viper2cityscapes.py', arch='ST'),
    dict(name='DA-STC', config='configs/da_stc/viper2cityscapes.py', arch='ST', depends='TPS'),
    # The DAFormer line (not in Shin et al. (2021)'s tables; published GTA / SYNTHIA -> Cityscapes
    # numbers in configs/_base_/paper_results_image_uda.py, docs/image_vs_video.md).
    dict(name='DACS', config='configs/dacs/viper2cityscapes.py', arch='ST'),
    dict(name='Source-only (DAFormer net)',
         config='configs/source_only/viper2cityscapes_daformer.py', arch='-'),
    dict(name='DAFormer', config='configs/daformer/viper2cityscapes.py', arch='ST'),
    dict(name='DAFormer+MIC', config='configs/mic/viper2cityscapes.py', arch='ST'),
]
