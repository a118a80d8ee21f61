# Table 1 (mIoU) + Table 2 (VPQ^s) of Shin et al. (2021), on the embedded sim-to-real pair:
# `make demo` runs this spec (3 seeds, 2 jobs at a time; within 15 minutes on 2 CPU cores).
# Each row: name, config, Arch. column (AT adversarial, ST self-training, A+S both), and
# optionally `depends` (the row whose final checkpoint it starts from), `cfg_options` and
# `paper` (the row's name in the paper's tables, where it differs).
# All specs of configs/benchmarks/ share this work dir, so a row (same name = same run
# directory) that one table has finished is reused by the others.
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0, 1, 2]
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
    # Not in Shin et al. (2021)'s tables either: the later video methods DA-VSN (Guan et al. 2021,
    # adversarial + temporal consistency) and TPS (Xing et al. 2022, cross-frame pseudo labels),
    # on their two-frame flow-fusion segmentor (docs/methods/da_vsn.md, docs/methods/tps.md).
    dict(name='DA-VSN', config='configs/da_vsn/synthetic.py', arch='AT'),
    dict(name='TPS', config='configs/tps/synthetic.py', arch='ST'),
    # DA-STC (QuadMix, CNN; docs/methods/da_stc.md) starts from, and is first taught by, the TPS
    # run; its long-tail bank reads the index `make data` writes.
    dict(name='DA-STC', config='configs/da_stc/synthetic.py', arch='ST', depends='TPS'),
]
