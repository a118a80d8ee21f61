"""DA-STC through tools/train.py on the tiny pair: killed at a random iteration and resumed, it ends
with exactly the weights, optimizer and scheduler states, carried memory and metrics of an
uninterrupted run, across the teacher switch (test_kill_resume.py's checks)."""
import random
import re

import torch
from test_kill_resume import (
    MAX_ITERS,
    _assert_same_checkpoints,
    _train,
    _train_and_kill,
    _val_metrics,
    _write_config,
)

from uda_toolbox.data_prep.class_frame_index import build_class_frame_index
from uda_toolbox.utils.class_frame_index import write_index

TEACHER_ITERS = 4


def test_da_stc_kill_at_random_iteration_then_resume(tmp_path, repo_root, tiny_pair):
    bank = dict(type='ClipDataset', data_root=str(tiny_pair),
                data_prefix=dict(img_path='source/train/img', seg_map_path='source/train/cls'),
                mode='test', pipeline=[dict(type='LoadClipFrames'), dict(type='LoadClipAnnotations'),
                                       dict(type='PackClipInputs')])
    index = tmp_path / 'class_frame_index.json'
    write_index(str(index), build_class_frame_index(bank, num_classes=15))
    cfg = tmp_path / 'dastc.py'
    _write_config(cfg, repo_root / 'configs/da_stc/synthetic.py', tiny_pair, workers=1, extra=f"""
model = dict(teacher_iters={TEACHER_ITERS}, long_tail_bank=dict(dataset={bank!r}, index_file='{index}'))
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={MAX_ITERS}, by_epoch=False)]
""")
    full = _train(cfg, tmp_path / 'full', repo_root)
    line = next(line for line in full.splitlines() if f'Iter(train) [ 2/{MAX_ITERS}]' in line)
    for key in ('loss_mix_src:', 'loss_mix_tgt:', 'loss_tps:', 'loss_tps_aux:', 'loss_mmd:'):
        assert key in line, (key, line)

    seed = random.randrange(1000)
    kill_at = random.Random(seed).randint(3, MAX_ITERS - 2)
    work = tmp_path / 'killed'
    _train_and_kill(cfg, work, repo_root,
                    lambda log: re.search(rf'Iter\(train\) \[ ?{kill_at}/{MAX_ITERS}\]', log))
    log = _train(cfg, work, repo_root, '--resume')
    resumed_at = int(re.search(r'resumed epoch: 0, iter: (\d+)', log).group(1))
    assert 2 <= resumed_at <= kill_at, (seed, kill_at, resumed_at)

    a = torch.load(tmp_path / 'full' / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    b = torch.load(work / f'iter_{MAX_ITERS}.pth', map_location='cpu')
    _assert_same_checkpoints(a, b)  # weights, teacher, memory buffers, optimizer, schedulers
    state = a['state_dict']
    assert int(state['iteration']) == MAX_ITERS and bool(state['teacher_ready'])
    assert state['memory_target_frames'].shape[:2] == (2, 2)
    assert _val_metrics(log) == _val_metrics(full), (seed, kill_at)
