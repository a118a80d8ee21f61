"""Frame sizes and dataloader workers of the real-data configs are top-level names that a smoke run
can shrink with --cfg-options (issue 16: they were buried in pipeline lists)."""
from pathlib import Path

import pytest

from uda_toolbox.apis import build_test_config, build_train_config

REPO = Path(__file__).resolve().parents[1]


def _resizes(pipeline):
    return [step['scale'] for step in pipeline if step['type'] in ('ClipResize', 'ClipRandomResize')]


def test_scales_and_workers_from_the_command_line(tmp_path):
    config = str(REPO / 'configs/vst/viper2cityscapes.py')
    plain = build_train_config(config, work_dir=str(tmp_path))
    assert _resizes(plain.train_dataloader.dataset.source.pipeline) == [(1280, 720)]
    assert _resizes(plain.train_dataloader.dataset.target.pipeline) == [(1024, 512)]
    assert plain.pseudo_labels.scale == (1024, 512) and plain.train_dataloader.num_workers == 4

    options = dict(source_scale=(160, 90), target_scale=(128, 64), num_workers=0)
    cfg = build_train_config(config, work_dir=str(tmp_path), cfg_options=options)
    assert _resizes(cfg.train_dataloader.dataset.source.pipeline) == [(160, 90)]
    assert _resizes(cfg.train_dataloader.dataset.target.pipeline) == [(128, 64)]
    assert _resizes(cfg.val_dataloader.dataset.pipeline) == [(128, 64)]
    assert _resizes(cfg.test_dataloader.dataset.pipeline) == [(128, 64)]
    assert cfg.pseudo_labels.scale == (128, 64)  # the rounds see what training sees
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].num_workers == 0 and cfg[name].persistent_workers is False

    test_cfg = build_test_config(config, 'ckpt.pth', str(tmp_path), dict(target_scale=(64, 32)))
    assert _resizes(test_cfg.test_dataloader.dataset.pipeline) == [(64, 32)]


def test_a_shortcut_that_would_do_nothing_is_an_error(tmp_path):
    # The embedded pair's source pipeline has no resize: source_scale would change nothing.
    with pytest.raises(ValueError, match='source_scale.*no ClipResize'):
        build_train_config(str(REPO / 'configs/source_only/synthetic.py'), work_dir=str(tmp_path),
                           cfg_options=dict(source_scale=(64, 32)))
