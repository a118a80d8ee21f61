# Image vs video UDA on the embedded pair (docs/image_vs_video.md): the DAFormer line of image UDA
# (online EMA-teacher self-training; Kareer et al., TMLR 2024, found it ahead of the video methods
# on the real video benchmarks) beside the video methods of configs/benchmarks/synthetic_table1.py,
# with the same data, clips, schedule length and metrics. Rows of Table 1 that appear here reuse
# their finished runs (same work dir, same row names).
#   python tools/benchmark.py configs/benchmarks/synthetic_image_vs_video.py --seeds 3 --jobs 2
work_dir = 'work_dirs/benchmark_synthetic'
seeds = [0]
rows = [
    dict(name='Source-only', config='configs/source_only/synthetic.py', arch='-'),
    # Image methods on the tiny DeepLabv2.
    dict(name='ADVENT', config='configs/advent/synthetic.py', arch='AT'),
    dict(name='DACS', config='configs/dacs/synthetic.py', arch='ST'),
    # Image methods on the tiny DAFormer network (MiT encoder), with its own source-only row.
    dict(name='Source-only (DAFormer net)', config='configs/source_only/synthetic_daformer.py',
         arch='-'),
    dict(name='DAFormer', config='configs/daformer/synthetic.py', arch='ST'),
    dict(name='DAFormer+MIC', config='configs/mic/synthetic.py', arch='ST'),
    # Video methods on the tiny DeepLabv2.
    dict(name='VAT', config='configs/vat/synthetic.py', arch='AT'),
    dict(name='Ours (VAT+VST)', config='configs/vst/synthetic.py', arch='A+S', depends='VAT'),
    dict(name='DA-VSN', config='configs/da_vsn/synthetic.py', arch='AT'),
    dict(name='TPS', config='configs/tps/synthetic.py', arch='ST'),
    dict(name='Oracle', config='configs/oracle/synthetic.py', arch='-'),
]
