# The tiny SegFormer (tiny_mit.py) with a second classifier on MiT's stage 3, the MiT counterpart
# of tiny_deeplabv2_multi_level.py for the multi-level methods (DA-VSN, TPS through
# two_frame_tiny_mit.py). The classifier is the model base's `auxiliary_head` (tiny_daformer.py).
_base_ = ['./tiny_mit.py']
segmentor = dict(auxiliary_head={{_base_.auxiliary_head}})
model = dict(segmentor=segmentor)
