"""End to end through the real tools: train a few iterations, save, resume, evaluate."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from tools import test as test_tool
from tools import train as train_tool
from uda_toolbox.apis import build_test_config, build_train_config, inference_clip, init_adaptor


def _write_config(path, repo_root, data_root, max_iters):
    path.write_text(f"""
_base_ = ['{repo_root}/configs/source_only/synthetic.py']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = dict(batch_size=4, **_loader, dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={max_iters}, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=5), logger=dict(interval=1))
""")


def _run(args, cwd):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_train_resume_test(tmp_path, repo_root, tiny_pair):
    cfg = tmp_path / 'tiny_source_only.py'
    work = tmp_path / 'work'
    _write_config(cfg, repo_root, tiny_pair, max_iters=4)
    _run(['tools/train.py', str(cfg), '--work-dir', str(work)], repo_root)
    assert (work / 'iter_2.pth').is_file() and (work / 'iter_4.pth').is_file()

    # Resume: a longer schedule continues from iter_4 (optimizer, scheduler, message hub).
    _write_config(cfg, repo_root, tiny_pair, max_iters=6)
    log = _run(['tools/train.py', str(cfg), '--work-dir', str(work), '--resume'], repo_root)
    assert 'resumed epoch: 0, iter: 4' in log
    ckpt = torch.load(work / 'iter_6.pth', map_location='cpu')  # weights_only=True default
    assert ckpt['meta']['iter'] == 6
    assert 'state' in ckpt['optimizer'] and len(ckpt['optimizer']['state']) > 0
    assert ckpt['param_schedulers'][0]['_global_step'] == 6  # the scheduler resumed too

    out = tmp_path / 'metrics.json'  # --out FILE.json: the old spelling of --metrics-out
    log = _run(['tools/test.py', str(cfg), str(work / 'iter_6.pth'), '--work-dir', str(work),
                '--out', str(out)], repo_root)
    assert '--out FILE.json is deprecated' in log
    assert log.count('**Per-class IoU (%)**') == 1  # the tables are printed once
    record = json.loads(out.read_text())
    metrics = record['metrics']
    for key in ('mIoU', 'VPQ', 'VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15', 'IoU.road'):
        assert key in metrics, key
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert 'mIoU' in log and 'VPQ' in log


def test_missing_checkpoint_is_a_clear_error(tmp_path, repo_root, tiny_pair):
    cfg = tmp_path / 'cfg.py'
    _write_config(cfg, repo_root, tiny_pair, max_iters=2)
    proc = subprocess.run([sys.executable, 'tools/test.py', str(cfg), str(tmp_path / 'nope.pth')],
                          cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'nope.pth' in proc.stderr and 'does not exist' in proc.stderr


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_show_help(repo_root, tool):
    proc = subprocess.run([sys.executable, f'tools/{tool}', '--help'], cwd=repo_root,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and '--cfg-options' in proc.stdout


def test_test_tool_writes_predictions_pictures_and_tta(tmp_path, repo_root, tiny_pair):
    """mmseg's --out (a directory of label PNGs, which may exist), --show-dir (readable pictures
    named <clip>_<frame>.png), --tta (flip averaging), checked before the evaluation."""
    cfg, work = tmp_path / 'tiny.py', tmp_path / 'work'
    _write_config(cfg, repo_root, tiny_pair, max_iters=2)
    train_tool.main([str(cfg), '--work-dir', str(work)])
    preds, metrics = tmp_path / 'preds', tmp_path / 'm.json'
    preds.mkdir()  # an existing directory is fine (it crashed after the evaluation before)
    test_tool.main([str(cfg), str(work), '--work-dir', str(work), '--out', str(preds),
                    '--show-dir', 'vis', '--metrics-out', str(metrics)])
    assert json.loads(metrics.read_text())['checkpoint'] == str(work / 'iter_2.pth')
    written = sorted(p.relative_to(preds).as_posix() for p in preds.rglob('*.png'))
    assert written == ['000/000_00004.png', '000/000_00009.png', '001/001_00004.png',
                       '001/001_00009.png']  # the annotated val frames, <clip>/<frame stem>.png
    pictures = sorted(p.name for p in (work / 'vis').glob('*.png'))
    assert pictures == ['000_00004.png', '000_00009.png', '001_00004.png', '001_00009.png']
    picture = cv2.imread(str(work / 'vis' / pictures[0]))
    # Four panels of the 32 x 64 frame enlarged 4x (256 px wide), 4 px apart, titles and a key.
    assert picture.shape[1] == 4 * 256 + 3 * 4 and picture.shape[0] > 128

    # --tta: each frame as it is and flipped; the softmax maps are averaged (SegTTAModel).
    tta_preds = tmp_path / 'tta'
    test_tool.main([str(cfg), str(work / 'iter_2.pth'), '--work-dir', str(work), '--tta',
                    '--out', str(tta_preds), '--metrics-out', str(tmp_path / 'tta.json')])
    model = init_adaptor(str(cfg), str(work / 'iter_2.pth'))
    for name in written:
        frame = cv2.imread(str(tiny_pair / 'target/val/img' / name))
        plain, flipped = inference_clip(model, [frame, np.ascontiguousarray(frame[:, ::-1])])
        probs = plain.seg_logits.data.softmax(0) + flipped.seg_logits.data.softmax(0).flip(-1)
        expected = probs.argmax(0).numpy().astype(np.uint8)
        assert np.array_equal(cv2.imread(str(tta_preds / name), cv2.IMREAD_UNCHANGED), expected)

    # Outputs that cannot be written stop the tool before the evaluation.
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.raises(SystemExit, match='--out .* is a file; --out names a directory'):
        test_tool.main([str(cfg), str(work), '--work-dir', str(work), '--out', str(blocker)])
    with pytest.raises(SystemExit, match='--metrics-out .* is a directory'):
        test_tool.main([str(cfg), str(work), '--work-dir', str(work), '--metrics-out', str(preds)])


def test_test_uses_the_train_work_dir_rule_and_amp_needs_a_gpu(tmp_path, repo_root, tiny_pair):
    config = str(repo_root / 'configs/vat/synthetic.py')
    assert build_test_config(config, 'x.pth').work_dir == build_train_config(config).work_dir \
        == 'work_dirs/vat_synthetic'
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match='--amp: mixed precision .* needs a CUDA GPU'):
            train_tool.main([config, '--work-dir', str(tmp_path / 'w'), '--amp'])
