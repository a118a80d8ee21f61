# Discriminator widths of every adversarial method on the embedded pair (AdaptSegNet, ADVENT, VAT
# and its Table 3 variants, DA-VSN; the CBST* / CRST* / IAST / VST rows start from those models).
# Rule (docs/performance.md, "Embedded discriminators"): the papers' widths (64, 128, 256, 512)
# divided by 8, so that a discriminator costs the same share of the tiny segmentor's FLOPs as the
# papers' discriminator of ResNet-50 DeepLabv2 on real data: FCDiscriminator 0.066x the segmentor's
# forward per frame here against 0.071x there (14 vs 216 MFLOP per 64x128 map; 52 vs 733 GFLOP
# per VIPER frame), the sequence discriminator 0.051x against 0.041x per two-frame clip.
embedded_discriminator_widths = (8, 16, 32, 64)
# The first wave's widths (half the papers'; the discriminator then cost 0.61x the segmentor, so
# an adversarial step was about 1.6x MinEnt's): set this to (32, 64, 128, 256), or pass
#   --cfg-options model.discriminator.widths="(32,64,128,256)"
# to one run, to reproduce the first-wave results.
