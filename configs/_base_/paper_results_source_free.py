# Published results of source-free video adaptation, for benchmark tables to print beside
# measured rows once the Cityscapes-Seq benchmarks exist. Nothing here is computed, and NOTHING
# HERE IS VERIFIED against the papers: STPL's result tables could not be read (only its abstract
# and introduction; ../shared/research/peers_dastc_stpl.md, Part B.5), so each value is a
# third-party listing, recorded with where it was found.
#
# Each row: method, benchmark (source -> target, both Cityscapes-Seq, the DA-VSN / TPS protocol),
# arch (SF: source-free), mean (mIoU %), per_class (None: not found), verified (False: not
# checked against the paper) and source (where the value was read).
# Not found at all: per-class IoUs of STPL, and the numbers STPL reports for its image SFDA
# baselines (HCL, Huang et al. NeurIPS 2021; URMA, Sivaprasad et al. CVPR 2021) on these
# benchmarks; SHOT is not among STPL's baselines.
paper_source_free_source = ('Lo et al. 2023, Spatio-Temporal Pixel-Level Contrastive Learning-based '
                            'Source-Free Domain Adaptation for Video Semantic Segmentation, CVPR; '
                            'values from third-party listings, UNVERIFIED')
paper_source_free_miou = [
    dict(method='STPL', benchmark='VIPER -> Cityscapes-Seq', arch='SF', mean=52.5,
         per_class=None, verified=False,
         source='sotaverified.org page, marked "Claimed, Unverified"'),
    dict(method='STPL', benchmark='SYNTHIA-Seq -> Cityscapes-Seq', arch='SF', mean=51.8,
         per_class=None, verified=False,
         source='OpenCodePapers table, filed under "synthia-to-cityscapes" (value only)'),
]
