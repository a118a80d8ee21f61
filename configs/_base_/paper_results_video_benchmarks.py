# Reference results of the video-UDA benchmarks on Cityscapes-Seq (the 500 annotated val frames
# of Cityscapes at 1024x512, predictions upsampled to 2048x1024; ACCEL-style DeepLab-v2 /
# ResNet-101), per class, transcribed from the TPS paper (Xing et al., "Temporal Pseudo
# Supervision for Domain Adaptive Video Semantic Segmentation", ECCV 2022, arXiv 2207.02372),
# Tables 1 and 2, as research/peers_davsn_tps.md section 7 records them. Nothing here is computed.
#
# Provenance of the rows: TPS re-ran the image-UDA baselines "as in DA-VSN" on the video backbone;
# its DA-VSN VIPER row equals the DA-VSN maintainer's log (issue #2, snapshot model_36000, 47.85);
# the TPS README repeats the Source-only / DA-VSN / PixMatch / TPS rows. Every row is the BEST
# SNAPSHOT ON THE VALIDATION SET (the originals evaluate every saved snapshot on Cityscapes-Seq val
# and report the best), not a final checkpoint. Whether DA-VSN's own paper prints the same
# baselines could not be checked.
#
# Each row: method (the paper's row name), per_class (in the benchmark's class order, %), mean
# (the paper's mIoU column, %). The per-class values of every row average to its mean within
# rounding (TPS SYNTHIA 53.76, VIPER 48.91).
paper_video_source = ('Xing et al. 2022, Temporal Pseudo Supervision for Domain Adaptive Video '
                      'Semantic Segmentation (ECCV), Tables 1 and 2')

# SYNTHIA-Seq -> Cityscapes-Seq: 12 classes trained, 11 evaluated (fence dropped after the IoU
# computation, DA-VSN issue #4); SYNTHIA "Bicycle" is trained as rider.
paper_synthia2cityscapes_seq_classes = (
    'road', 'sidewalk', 'building', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'sky',
    'person', 'rider', 'car')
paper_synthia2cityscapes_seq_miou = [
    dict(method='Source-only', mean=38.3,
         per_class=[56.3, 26.6, 75.6, 25.5, 5.7, 15.6, 71.0, 58.5, 41.7, 17.1, 27.9]),
    dict(method='AdvEnt', mean=42.7,
         per_class=[85.7, 21.3, 70.9, 21.8, 4.8, 15.3, 59.5, 62.4, 46.8, 16.3, 64.6]),
    dict(method='CBST', mean=43.3,
         per_class=[64.1, 30.5, 78.2, 28.9, 14.3, 21.3, 75.8, 62.6, 46.9, 20.2, 33.9]),
    dict(method='IDA', mean=44.0,
         per_class=[87.0, 23.2, 71.3, 22.1, 4.1, 14.9, 58.8, 67.5, 45.2, 17.0, 73.4]),
    dict(method='CRST', mean=44.7,
         per_class=[70.4, 31.4, 79.1, 27.6, 11.5, 20.7, 78.0, 67.2, 49.5, 17.1, 39.6]),
    dict(method='CrCDA', mean=45.0,
         per_class=[86.5, 26.3, 74.8, 24.5, 5.0, 15.5, 63.5, 64.4, 46.0, 15.8, 72.8]),
    dict(method='RDA', mean=45.1,
         per_class=[84.7, 26.4, 73.9, 23.8, 7.1, 18.6, 66.7, 68.0, 48.6, 9.3, 68.8]),
    dict(method='FDA', mean=45.2,
         per_class=[84.1, 32.8, 67.6, 28.1, 5.5, 20.3, 61.1, 64.8, 43.1, 19.0, 70.6]),
    dict(method='DA-VSN', mean=49.5,
         per_class=[89.4, 31.0, 77.4, 26.1, 9.1, 20.4, 75.4, 74.6, 42.9, 16.1, 82.4]),
    dict(method='PixMatch', mean=51.0,
         per_class=[90.2, 49.9, 75.1, 23.1, 17.4, 34.2, 67.1, 49.9, 55.8, 14.0, 84.3]),
    dict(method='TPS', mean=53.8,
         per_class=[91.2, 53.7, 74.9, 24.6, 17.9, 39.3, 68.1, 59.7, 57.2, 20.3, 84.5]),
]

# VIPER -> Cityscapes-Seq: 15 classes (rider merged into person on the Cityscapes side; no pole,
# unlike Shin et al. (2021)'s VIPER -> Cityscapes-VPS classes of paper_results.py).
paper_viper2cityscapes_seq_classes = (
    'road', 'sidewalk', 'building', 'fence', 'traffic light', 'traffic sign', 'vegetation',
    'terrain', 'sky', 'person', 'car', 'truck', 'bus', 'motorcycle', 'bicycle')
paper_viper2cityscapes_seq_miou = [
    dict(method='Source-only', mean=37.1,
         per_class=[56.7, 18.7, 78.7, 6.0, 22.0, 15.6, 81.6, 18.3, 80.4, 59.9, 66.3, 4.5, 16.8,
                    20.4, 10.3]),
    dict(method='AdvEnt', mean=41.2,
         per_class=[78.5, 31.0, 81.5, 22.1, 29.2, 26.6, 81.8, 13.7, 80.5, 58.3, 64.0, 6.9, 38.4,
                    4.6, 1.3]),
    dict(method='CBST', mean=41.7,
         per_class=[48.1, 20.2, 84.8, 12.0, 20.6, 19.2, 83.8, 18.4, 84.9, 59.2, 71.5, 3.2, 38.0,
                    23.8, 37.7]),
    dict(method='IDA', mean=42.0,
         per_class=[78.7, 33.9, 82.3, 22.7, 28.5, 26.7, 82.5, 15.6, 79.7, 58.1, 64.2, 6.4, 41.2,
                    6.2, 3.1]),
    dict(method='CRST', mean=42.4,
         per_class=[56.0, 23.1, 82.1, 11.6, 18.7, 17.2, 85.5, 17.5, 82.3, 60.8, 73.6, 3.6, 38.9,
                    30.5, 35.0]),
    dict(method='CrCDA', mean=44.3,
         per_class=[78.1, 33.3, 82.2, 21.3, 29.1, 26.8, 82.9, 28.5, 80.7, 59.0, 73.8, 16.5, 41.4,
                    7.8, 2.5]),
    dict(method='RDA', mean=44.4,
         per_class=[72.0, 25.9, 80.8, 15.1, 27.2, 20.3, 82.6, 31.4, 82.2, 56.3, 75.5, 22.8, 48.3,
                    19.1, 6.7]),
    dict(method='FDA', mean=44.4,
         per_class=[70.3, 27.7, 81.3, 17.6, 25.8, 20.0, 83.7, 31.3, 82.9, 57.1, 72.2, 22.4, 49.0,
                    17.2, 7.5]),
    dict(method='PixMatch', mean=46.7,
         per_class=[79.4, 26.1, 84.6, 16.6, 28.7, 23.0, 85.0, 30.1, 83.7, 58.6, 75.8, 34.2, 45.7,
                    16.6, 12.4]),
    dict(method='DA-VSN', mean=47.8,
         per_class=[86.8, 36.7, 83.5, 22.9, 30.2, 27.7, 83.6, 26.7, 80.3, 60.0, 79.1, 20.3, 47.2,
                    21.2, 11.4]),
    dict(method='TPS', mean=48.9,
         per_class=[82.4, 36.9, 79.5, 9.0, 26.3, 29.4, 78.5, 28.2, 81.8, 61.2, 80.2, 39.8, 40.3,
                    28.5, 31.7]),
]

# TPS Table 6: DA-VSN + TPS (mIoU %); TPS Tables 3-5 (SYNTHIA-Seq -> Cityscapes-Seq, mIoU %): the
# propagation interval eta, the confidence threshold tau and lambda_T (TPS's choice: 1, 0, 1.0).
paper_video_complementarity = [
    dict(benchmark='synthia2cityscapes_seq', davsn=49.5, davsn_tps=55.1),
    dict(benchmark='viper2cityscapes_seq', davsn=47.8, davsn_tps=50.2),
]
paper_tps_ablations = dict(
    interval=[(3, 51.7), (2, 52.3), (1, 53.8)],
    threshold=[(0.5, 53.1), (0.25, 53.5), (0.0, 53.8)],
    lambda_t=[(0.1, 50.0), (0.2, 51.2), (0.5, 52.6), (1.0, 53.8), (1.5, 53.4), (2.0, 53.3)])
