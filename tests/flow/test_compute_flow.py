import importlib.util

import cv2
import numpy as np
import pytest


@pytest.fixture(scope='module')
def compute_flow(repo_root):
    spec = importlib.util.spec_from_file_location('compute_flow',
                                                  repo_root / 'tools/data/compute_flow.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_clip(split_root, clip='007', num_frames=3):
    noise = np.random.default_rng(1).random((48, 64)).astype(np.float32)
    base = cv2.GaussianBlur(noise, (0, 0), 1.5)
    base = ((base - base.min()) / (base.max() - base.min()) * 255).astype(np.uint8)
    base = np.repeat(base[..., None], 3, axis=2)
    clip_dir = split_root / 'img' / clip
    clip_dir.mkdir(parents=True)
    for f in range(num_frames):  # the scene moves one pixel right per frame
        cv2.imwrite(str(clip_dir / f'{clip}_{f:05d}.png'), np.roll(base, f, axis=1))


def test_writes_bw_fw_flows_and_skips_existing(tmp_path, compute_flow, capsys):
    _write_clip(tmp_path)
    assert compute_flow.main([str(tmp_path), '--preset', 'fast', '--no-progress']) == 0
    flow_dir = tmp_path / 'flow' / '007'
    names = sorted(p.name for p in flow_dir.iterdir())
    # The first frame has no _bw and the last no _fw (docs/data.md); no temporary files left.
    assert names == ['007_00000_fw.npy', '007_00001_bw.npy', '007_00001_fw.npy', '007_00002_bw.npy']
    fw = np.load(flow_dir / '007_00000_fw.npy')
    bw = np.load(flow_dir / '007_00002_bw.npy')
    assert fw.dtype == np.float16 and fw.shape == (48, 64, 2)
    inner = (slice(6, -6), slice(6, -6))
    assert np.abs(fw[inner].astype(np.float32) - [1, 0]).mean() < 0.25
    assert np.abs(bw[inner].astype(np.float32) - [-1, 0]).mean() < 0.25
    assert 'wrote 4 flow files, kept 0' in capsys.readouterr().out

    # A second run keeps what exists; --overwrite recomputes.
    (flow_dir / '007_00001_fw.npy').unlink()
    stamp = (flow_dir / '007_00000_fw.npy').stat().st_mtime_ns
    compute_flow.main([str(tmp_path), '--preset', 'fast', '--no-progress'])
    assert 'wrote 1 flow files, kept 3' in capsys.readouterr().out
    assert (flow_dir / '007_00000_fw.npy').stat().st_mtime_ns == stamp
    compute_flow.main([str(tmp_path), '--estimator', 'FarnebackFlow', '--overwrite', '--no-progress'])
    assert 'wrote 4 flow files, kept 0' in capsys.readouterr().out


def test_rejects_a_tree_without_the_clip_layout(tmp_path, compute_flow):
    with pytest.raises(FileNotFoundError, match='img'):
        compute_flow.main([str(tmp_path), '--no-progress'])
    (tmp_path / 'img' / '001').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'img' / '001' / 'frame3.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='frame3.png'):
        compute_flow.main([str(tmp_path), '--no-progress'])
