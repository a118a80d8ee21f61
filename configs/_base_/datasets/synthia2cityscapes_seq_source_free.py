# The target side of SYNTHIA-Seq -> Cityscapes-Seq, for source-free adaptation
# (docs/source_free.md): synthia2cityscapes_seq.py with no source dataset, as
# viper2cityscapes_seq_source_free.py: UDADataset(source=None) over the unlabelled Cityscapes-Seq
# train snippets with this benchmark's 12 classes, fence left out of the report after the IoUs
# are computed; the SYNTHIA-Seq-trained model comes in through load_from.
_base_ = ['./synthia2cityscapes_seq.py']
train_dataloader = dict(dataset=dict(source=None))
