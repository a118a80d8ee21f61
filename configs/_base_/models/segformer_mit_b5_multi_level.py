# SegFormer-B5 (segformer_mit_b5.py) with a second classifier on MiT's stage 3 (the model base's
# `auxiliary_head`), the counterpart of deeplabv2_r50_multi_level.py for the multi-level methods.
_base_ = ['./segformer_mit_b5.py']
segmentor = dict(auxiliary_head={{_base_.auxiliary_head}})
model = dict(segmentor=segmentor)
