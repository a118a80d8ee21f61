# The VIPER -> Cityscapes-Seq (15 classes) benchmark of DA-VSN / TPS / DA-STC:
# every adaptor of the toolbox that applies, each with its configs/<method>/viper2cityscapes_seq.py,
# beside the published rows (configs/_base_/paper_results_video_benchmarks.py). Needs the prepared
# datasets (docs/data.md, "Cityscapes-Seq benchmarks") and GPUs. Run:
#   python tools/benchmark.py configs/benchmarks/viper2cityscapes_seq.py
# The published rows use DeepLab-v2 ResNet-101 (DA-VSN / TPS: two-frame "ACCEL" fusion) and the
# best checkpoint on val; ours use DeepLab-v2 ResNet-50 and the final checkpoint.
_base_ = ['../_base_/paper_results_video_benchmarks.py']
work_dir = 'work_dirs/benchmark_viper2cityscapes_seq'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/viper2cityscapes_seq.py', arch='-',
         paper='Source only'),
    dict(name='AdaptSegNet', config='configs/adaptsegnet/viper2cityscapes_seq.py', arch='AT'),
    dict(name='ADVENT', config='configs/advent/viper2cityscapes_seq.py', arch='AT', paper='AdvEnt'),
    dict(name='MinEnt', config='configs/minent/viper2cityscapes_seq.py', arch='-'),
    dict(name='VAT', config='configs/vat/viper2cityscapes_seq.py', arch='AT'),
    dict(name='CBST', config='configs/cbst/viper2cityscapes_seq.py', arch='ST',
         depends='Source-only', paper='CBST'),
    dict(name='CRST', config='configs/crst/viper2cityscapes_seq.py', arch='ST',
         depends='Source-only', paper='CRST'),
    dict(name='CBST*', config='configs/cbst_star/viper2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='CRST*', config='configs/crst_star/viper2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='IAST', config='configs/iast/viper2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='VAT+VST', config='configs/vst/viper2cityscapes_seq.py', arch='A+S', depends='VAT'),
    dict(name='Oracle', config='configs/oracle/viper2cityscapes_seq.py', arch='-'),
    dict(name='AdaBN', config='configs/adabn/viper2cityscapes_seq.py', arch='-',
         depends='Source-only'),
    # DA-VSN and TPS (issue 18) join with their configs/<method>/viper2cityscapes_seq.py:
    # dict(name='DA-VSN', config='configs/davsn/viper2cityscapes_seq.py', arch='AT', paper='DA-VSN'),
    # dict(name='TPS', config='configs/tps/viper2cityscapes_seq.py', arch='ST', paper='TPS'),
]
# What this benchmark reports (uda_toolbox.evaluation.benchmark_table_options).
metrics = ['mIoU']
not_defined = dict(
    VPQ='VPQ^s needs several annotated frames per clip; Cityscapes-Seq annotates one frame per '
    'val snippet.')
_none = 'no published result on this benchmark'
unpublished = {
    'AdaptSegNet': _none, 'MinEnt': _none, 'CBST*': _none, 'CRST*': _none, 'IAST': _none,
    'AdaBN': _none, 'Oracle': _none,
    'VAT': _none + ' (Shin et al. (2021) reports on VIPER -> Cityscapes-VPS only)',
    'VAT+VST': _none + ' (Shin et al. (2021) reports on VIPER -> Cityscapes-VPS only)',
}
# The published rows (tools/benchmark.py reads these names).
paper_source = {{_base_.viper_cityscapes_seq_source}}
paper_classes = {{_base_.viper_cityscapes_seq_classes}}
paper_table1_miou = {{_base_.viper_cityscapes_seq_published}}
paper_table2_vpq = []  # VPQ^s is not defined here (not_defined above)
