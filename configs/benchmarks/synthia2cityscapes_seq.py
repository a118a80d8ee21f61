# The SYNTHIA-Seq -> Cityscapes-Seq benchmark of DA-VSN / TPS / DA-STC (12 classes trained, 11
# reported: fence is left out after the IoUs are computed):
# every adaptor of the toolbox that applies, each with its configs/<method>/synthia2cityscapes_seq.py,
# beside the published rows (configs/_base_/paper_results_video_benchmarks.py). Needs the prepared
# datasets (docs/data.md, "Cityscapes-Seq benchmarks") and GPUs. Run:
#   python tools/benchmark.py configs/benchmarks/synthia2cityscapes_seq.py
# The published rows use DeepLab-v2 ResNet-101 (DA-VSN / TPS: two-frame "ACCEL" fusion) and the
# best checkpoint on val; ours use DeepLab-v2 ResNet-50 (DAFormer / MIC: MiT-B5) and the final
# checkpoint. STPL's published mean (no per-class values) is UNVERIFIED (a third-party listing).
_base_ = ['../_base_/paper_results_video_benchmarks.py']
work_dir = 'work_dirs/benchmark_synthia2cityscapes_seq'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/synthia2cityscapes_seq.py', arch='-',
         paper='Source only'),
    dict(name='AdaptSegNet', config='configs/adaptsegnet/synthia2cityscapes_seq.py', arch='AT'),
    dict(name='ADVENT', config='configs/advent/synthia2cityscapes_seq.py', arch='AT', paper='AdvEnt'),
    dict(name='MinEnt', config='configs/minent/synthia2cityscapes_seq.py', arch='-'),
    dict(name='VAT', config='configs/vat/synthia2cityscapes_seq.py', arch='AT'),
    dict(name='CBST', config='configs/cbst/synthia2cityscapes_seq.py', arch='ST',
         depends='Source-only', paper='CBST'),
    dict(name='CRST', config='configs/crst/synthia2cityscapes_seq.py', arch='ST',
         depends='Source-only', paper='CRST'),
    dict(name='CBST*', config='configs/cbst_star/synthia2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='CRST*', config='configs/crst_star/synthia2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='IAST', config='configs/iast/synthia2cityscapes_seq.py', arch='A+S',
         depends='AdaptSegNet'),
    dict(name='VAT+VST', config='configs/vst/synthia2cityscapes_seq.py', arch='A+S', depends='VAT'),
    dict(name='Oracle', config='configs/oracle/synthia2cityscapes_seq.py', arch='-'),
    dict(name='AdaBN', config='configs/adabn/synthia2cityscapes_seq.py', arch='-',
         depends='Source-only'),
    # The two-frame methods on their flow-fusion segmentor (published 49.5 / 53.8 / 61.5).
    dict(name='DA-VSN', config='configs/da_vsn/synthia2cityscapes_seq.py', arch='AT', paper='DA-VSN'),
    dict(name='TPS', config='configs/tps/synthia2cityscapes_seq.py', arch='ST', paper='TPS'),
    dict(name='DA-STC', config='configs/da_stc/synthia2cityscapes_seq.py', arch='ST', depends='TPS',
         paper='DA-STC (QuadMix, CNN)'),
    # Source-free (docs/source_free.md): the Source-only row's checkpoint adapted with Cityscapes-Seq
    # snippets only (STPL: with their flow).
    dict(name='SHOT', config='configs/shot/synthia2cityscapes_seq.py', arch='SF', depends='Source-only'),
    dict(name='URMA', config='configs/urma/synthia2cityscapes_seq.py', arch='SF', depends='Source-only'),
    dict(name='HCL', config='configs/hcl/synthia2cityscapes_seq.py', arch='SF', depends='Source-only'),
    dict(name='STPL (our reading)', config='configs/stpl/synthia2cityscapes_seq.py', arch='SF',
         depends='Source-only', paper='STPL (unverified mean)'),
    # The DAFormer line of image UDA (docs/image_vs_video.md): DACS on DeepLabv2, DAFormer and
    # DAFormer+MIC on MiT-B5 beside their own source-only row on that network.
    dict(name='DACS', config='configs/dacs/synthia2cityscapes_seq.py', arch='ST'),
    dict(name='Source-only (DAFormer net)',
         config='configs/source_only/synthia2cityscapes_seq_daformer.py', arch='-'),
    dict(name='DAFormer', config='configs/daformer/synthia2cityscapes_seq.py', arch='ST'),
    dict(name='DAFormer+MIC', config='configs/mic/synthia2cityscapes_seq.py', arch='ST'),
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
    # STPL's paper has no SHOT row; its HCL / URMA rows (image SFDA baselines) were not found.
    'SHOT': _none, 'URMA': _none + ' found (STPL compares with it; its table was not read)',
    'HCL': _none + ' found (STPL compares with it; its table was not read)',
    'DACS': _none,
    'Source-only (DAFormer net)': _none + ' found (Kareer et al., TMLR 2024: table not read)',
    'DAFormer': _none + ' found (Kareer et al., TMLR 2024, ran it here; only their abstract '
    'could be read)',
    'DAFormer+MIC': _none + ' found (Kareer et al., TMLR 2024, ran it here; only their abstract '
    'could be read)',
}
# The published rows (tools/benchmark.py reads these names).
paper_source = {{_base_.synthia_cityscapes_seq_source}}
paper_classes = {{_base_.synthia_cityscapes_seq_classes}}
paper_table1_miou = {{_base_.synthia_cityscapes_seq_reference}}  # per class, then mean-only
paper_table2_vpq = []  # VPQ^s is not defined here (not_defined above)
