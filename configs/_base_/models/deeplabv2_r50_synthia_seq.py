# DeepLabv2 / ResNet-50 (deeplabv2_r50.py) with the 12 output classes of SYNTHIA-Seq ->
# Cityscapes-Seq (uda_toolbox.utils.classes.SYNTHIA_CITYSCAPES_SEQ_CLASSES).
_base_ = ['./deeplabv2_r50.py']
model = dict(segmentor=dict(decode_head=dict(num_classes=12)))
