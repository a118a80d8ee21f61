# Published results of the DAFormer line of image UDA, for docs/image_vs_video.md and benchmark
# tables to print beside measured rows. Nothing here is computed. mIoU (%) on Cityscapes val:
# GTA -> Cityscapes over 19 classes, SYNTHIA -> Cityscapes over the usual 16.
#
# Each row: method, network, the two means (None: not found in a source we could read),
# source, and verified: True when the number was read in the cited source while writing this
# file (the official repositories' README tables), False when it is quoted from memory of the
# paper and still needs checking against its table.
image_uda_source = ('DACS: Tranheden et al., WACV 2021; DAFormer: Hoyer et al., CVPR 2022; '
                    'MIC: Hoyer et al., CVPR 2023')
paper_image_uda_miou = [
    dict(method='DACS', network='DeepLabv2 / ResNet-101', gta2cityscapes=52.1,
         synthia2cityscapes=48.3, source='lhoyer/DAFormer README comparison table',
         verified=True),
    dict(method='DAFormer', network='MiT-B5 + DAFormer decoder', gta2cityscapes=68.3,
         synthia2cityscapes=60.9, source='lhoyer/DAFormer README comparison table',
         verified=True),
    # MIC's Table 1 (MIC added to DAFormer at 512 x 512): not transcribed.
    dict(method='DAFormer+MIC', network='MiT-B5 + DAFormer decoder', gta2cityscapes=None,
         synthia2cityscapes=None, source='MIC paper Table 1 (not read)', verified=False),
    # 75.9: lhoyer/MIC README and abstract (verified); 67.3 SYNTHIA: MIC paper Table 2 (from
    # memory, unverified).
    dict(method='HRDA+MIC', network='MiT-B5 + HRDA multi-resolution', gta2cityscapes=75.9,
         synthia2cityscapes=67.3, source='lhoyer/MIC README (GTA); MIC paper Table 2 (SYNTHIA)',
         verified=False),
]
# Kareer et al., TMLR 2024, "We're Not Using Videos Effectively: An Updated Domain Adaptive Video
# Segmentation Baseline" (abstract, verified): with data and architecture controlled, HRDA and
# HRDA+MIC beat the video-DAS methods on the video benchmarks by these mIoU points. Their
# per-method table was not available to transcribe (per_method=None).
kareer_video_benchmarks = dict(
    source='Kareer et al., TMLR 2024, abstract (arXiv 2402.00868)',
    image_over_video_gain=dict(viper2cityscapes_seq=14.5, synthia_seq2cityscapes_seq=19.0),
    per_method=None)
