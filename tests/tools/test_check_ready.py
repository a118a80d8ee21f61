"""tools/check_ready.py (uda_toolbox.apis.check_ready): every missing prerequisite of a config at
once, each with its fix, on tiny trees with planted gaps; none once they are filled."""
import shutil

import torch

from tools import check_ready as check_ready_tool
from uda_toolbox.apis import check_ready


def test_a_real_data_config_with_nothing_prepared_lists_everything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gaps = check_ready('configs/vst/viper2cityscapes.py')
    assert [g.what for g in gaps] == [
        'train_dataloader.dataset.source (VIPERDataset)',
        'train_dataloader.dataset.target (CityscapesVPSDataset)',
        'val_dataloader.dataset (CityscapesVPSDataset)',  # the test set is the same: listed once
        'pseudo_labels.label_dataset (CityscapesVPSDataset)',
        'model.segmentor.backbone.init_cfg', 'load_from']
    text = [g.problem for g in gaps]
    assert "'data/viper' does not exist" in text[0] and 'tools/data/viper.py' in text[0]
    assert 'tools/convert_backbone.py' in text[4]
    assert 'python tools/train.py configs/vat/viper2cityscapes.py' in text[5]
    # Testing needs the test data only (the checkpoint holds every weight).
    assert [g.what for g in check_ready('configs/vst/viper2cityscapes.py', stage='test')] == [
        'test_dataloader.dataset (CityscapesVPSDataset)']


def test_planted_gaps_in_a_tiny_pair_then_ready(tmp_path, tiny_pair, monkeypatch, capsys):
    data = tmp_path / 'pair'
    shutil.copytree(tiny_pair, data)
    monkeypatch.chdir(tmp_path)
    roots = {key: str(data) for key in (
        'train_dataloader.dataset.source.data_root', 'train_dataloader.dataset.target.data_root',
        'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root',
        'pseudo_labels.label_dataset.data_root')}
    labels, flow = data / 'source/train/cls/001', data / 'target/train/flow/000/000_00003_bw.npy'
    shutil.move(labels, tmp_path / 'labels')
    shutil.move(flow, tmp_path / 'flow.npy')
    gaps = check_ready('configs/vst/synthetic.py', roots)
    assert [g.what for g in gaps] == ['train_dataloader.dataset.source (ClipDataset)',
                                      'train_dataloader.dataset.target (ClipDataset)', 'load_from']
    assert 'source/train/cls/001' in gaps[0].problem
    assert gaps[1].problem.startswith('1 frame(s) have no backward (_bw) optical flow file')
    assert 'target/train/img/000/000_00003.png' in gaps[1].problem
    assert 'compute_flow.py' in gaps[1].problem
    assert "'work_dirs/vat_synthetic' has no checkpoint yet" in gaps[2].problem

    shutil.move(tmp_path / 'labels', labels)
    shutil.move(tmp_path / 'flow.npy', flow)
    (tmp_path / 'work_dirs/vat_synthetic').mkdir(parents=True)
    torch.save(dict(state_dict={}), tmp_path / 'work_dirs/vat_synthetic/iter_400.pth')
    argv = ['configs/vst/synthetic.py', '--cfg-options', *[f'{k}={v}' for k, v in roots.items()]]
    assert check_ready_tool.main(argv) == 0
    assert 'configs/vst/synthetic.py: ready' in capsys.readouterr().out
