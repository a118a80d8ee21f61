# The two-frame flow-fusion segmentor (two_frame_deeplabv2_r50.py) with the 12 output classes of
# SYNTHIA-Seq -> Cityscapes-Seq on both levels (NUM_CLASSES 12 of davsn_syn2city.yml /
# tps_syn2city.yml; uda_toolbox.utils.classes.SYNTHIA_CITYSCAPES_SEQ_CLASSES).
_base_ = ['./two_frame_deeplabv2_r50.py']
model = dict(segmentor=dict(segmentor=dict(decode_head=dict(num_classes=12),
                                           auxiliary_head=dict(num_classes=12))))
