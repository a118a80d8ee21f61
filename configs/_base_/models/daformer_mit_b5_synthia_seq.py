# DAFormer's network (daformer_mit_b5.py) with the 12 output classes of SYNTHIA-Seq ->
# Cityscapes-Seq (uda_toolbox.utils.classes.SYNTHIA_CITYSCAPES_SEQ_CLASSES), as
# deeplabv2_r50_synthia_seq.py does for DeepLabv2.
_base_ = ['./daformer_mit_b5.py']
model = dict(segmentor=dict(decode_head=dict(num_classes=12)))
