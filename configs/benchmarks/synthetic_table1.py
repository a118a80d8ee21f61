# Table 1 (mIoU) + Table 2 (VPQ^s) of Shin et al. (2021), on the embedded sim-to-real pair:
# `make demo` runs this spec (one seed, 2 jobs at a time; about 15 minutes on 2 CPU cores).
# Each row: name, config, Arch. column (AT adversarial, ST self-training, A+S both), and
# optionally `depends` (the row whose final checkpoint it starts from), `cfg_options` and
# `paper` (the row's name in the paper's tables, where it differs).
# All specs of configs/benchmarks/ share this work dir, so a row (same name = same run
# directory) that one table has finished is reused by the others.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-'),
    dict(name='AdaptSegNet', config='configs/adaptsegnet/synthetic.py', arch='AT'),
    dict(name='ADVENT', config='configs/advent/synthetic.py', arch='AT'),
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT'),
    # Self-training: CBST and CRST from the source-only model ('ST'); CBST*, CRST* and IAST from the
    # adversarial warm-up (AdaptSegNet, 'A+S'); Shin et al. (2021)'s VST from its VAT model.
    dict(name='CBST', config='configs/cbst/synthetic.py', arch='ST', depends='Source-only'),
    dict(name='CRST', config='configs/crst/synthetic.py', arch='ST', depends='Source-only'),
    dict(name='CBST*', config='configs/cbst_star/synthetic.py', arch='A+S', depends='AdaptSegNet'),
    dict(name='CRST*', config='configs/crst_star/synthetic.py', arch='A+S', depends='AdaptSegNet'),
    dict(name='IAST', config='configs/iast/synthetic.py', arch='A+S', depends='AdaptSegNet'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT',
         paper='Ours'),
    dict(name='Oracle', config='configs/oracle/synthetic.py', arch='-'),
    # Not in Shin et al. (2021)'s tables: AdaBN (the source-only model with BatchNorm statistics of the
    # target domain), to show how much of each gain BatchNorm statistics alone give.
    dict(name='AdaBN', config='configs/adabn/synthetic.py', arch='-', depends='Source-only'),
    # Not in Shin et al. (2021) either: the DAFormer line of image UDA (online EMA-teacher
    # self-training, trained from scratch like the adversarial rows; docs/image_vs_video.md).
    # DACS runs on the tiny DeepLabv2 as the rows above; DAFormer and DAFormer+MIC on the tiny
    # DAFormer network, whose own source-only row comes first.
    dict(name='DACS', config='configs/dacs/synthetic.py', arch='ST'),
    dict(name='Source-only (DAFormer net)', config='configs/source_only/synthetic_daformer.py',
         arch='-'),
    dict(name='DAFormer', config='configs/daformer/synthetic.py', arch='ST'),
    dict(name='DAFormer+MIC', config='configs/mic/synthetic.py', arch='ST'),
]
