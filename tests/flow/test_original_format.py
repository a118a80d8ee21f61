"""Flow in DA-VSN / TPS's format written with OpenCV: a synthetic translation comes back as the
originals' convention (t -> t-1 on the frame-t grid, pixels x 10), at the asked resolution."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from uda_toolbox.flow.original_format import flow_jobs, index_frames, write_original_flows
from uda_toolbox.registry import FLOW_ESTIMATORS
from uda_toolbox.utils.errors import DataNotFoundError
from uda_toolbox.utils.flow_io import read_flow

SHIFT = 3  # frame t shows frame t-1 moved 3 px to the left: I_t(x) = I_{t-1}(x + 3)


def _texture(h, w, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8)
    return cv2.GaussianBlur(cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC), (3, 3), 0)


def _write_viper_frames(root, count=3, h=96, w=128):
    scene = _texture(h, w + SHIFT * count)
    seq = root / '001'
    seq.mkdir(parents=True)
    for k in range(count):  # frame k = scene window starting at SHIFT * k
        cv2.imwrite(str(seq / f'001_{k + 10:05d}.png'), scene[:, SHIFT * k:SHIFT * k + w])
    return root


def test_jobs_pair_each_frame_with_the_one_before(tmp_path):
    root = _write_viper_frames(tmp_path / 'img')
    (root / '001' / 'notes.txt').write_text('not a frame')
    index = index_frames(str(root), 'viper')
    jobs = flow_jobs(index, 'viper')
    assert [job[2] for job in jobs] == ['001_0001100010_int16_x10.npy', '001_0001200011_int16_x10.npy']
    both = flow_jobs(index, 'viper', pairs=2, only=['001_00012.png'])
    assert [job[2] for job in both] == ['001_0001100010_int16_x10.npy', '001_0001200011_int16_x10.npy']
    assert flow_jobs(index, 'viper', only=['001_00011.png'])[0][0].endswith('001_00011.png')


def test_tool_writes_the_translation_in_the_originals_convention(tmp_path, repo_root):
    root = _write_viper_frames(tmp_path / 'img')
    out = tmp_path / 'flow'
    proc = subprocess.run([sys.executable, 'tools/data/write_original_flow.py', str(root), str(out),
                           '--naming', 'viper', '--height', '48', '--no-progress'],
                          cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'wrote 2 flow files' in proc.stdout
    raw = np.load(out / '001_0001100010_int16_x10.npy')
    assert raw.dtype == np.int16 and raw.shape == (48, 64, 2)  # half size, aspect kept
    flow = read_flow(out / '001_0001100010_int16_x10.npy')
    inner = flow[8:-8, 8:-8]  # away from the borders the translation is exact
    # at half resolution the 3 px shift is 1.5 px, stored truncated to 0.1 px
    assert np.median(inner[..., 0]) == pytest.approx(SHIFT / 2, abs=0.15)
    assert np.median(np.abs(inner[..., 1])) < 0.15
    # a second run keeps the files; a frame tree of another naming is a clear error
    estimator = FLOW_ESTIMATORS.build(dict(type='OpenCVDISFlow'))
    jobs = flow_jobs(index_frames(str(root), 'viper'), 'viper')
    assert write_original_flows(jobs, str(out), estimator, height=48) == (0, 2)
    with pytest.raises(DataNotFoundError, match='aachen_000000_000019_leftImg8bit.png'):
        index_frames(str(root), 'cityscapes')
