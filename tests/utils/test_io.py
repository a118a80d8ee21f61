import numpy as np
import pytest

from uda_toolbox.utils.io import atomic_write, write_npy_atomic, write_png_atomic


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / 'ckpt.pth'
    target.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text('half-written')
            raise RuntimeError('killed mid-write')
    assert target.read_text() == 'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.pth']

    with atomic_write(target) as tmp:
        assert tmp != target and tmp.parent == target.parent
        tmp.write_text('new')
    assert target.read_text() == 'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.pth']


def test_png_and_npy_round_trip(tmp_path):
    import cv2

    label = (np.arange(12, dtype=np.uint8).reshape(3, 4) * 20)
    write_png_atomic(tmp_path / 'sub' / 'label.png', label)
    assert np.array_equal(cv2.imread(str(tmp_path / 'sub' / 'label.png'), cv2.IMREAD_UNCHANGED),
                          label)
    flow = np.random.default_rng(0).normal(size=(3, 4, 2)).astype(np.float16)
    write_npy_atomic(tmp_path / 'flow.npy', flow)
    assert np.array_equal(np.load(tmp_path / 'flow.npy'), flow)


def test_atomic_files_get_the_usual_permissions(tmp_path):
    import stat

    plain = tmp_path / 'plain.txt'
    plain.write_text('x')
    write_png_atomic(tmp_path / 'label.png', np.zeros((4, 4), np.uint8))
    mode = stat.S_IMODE((tmp_path / 'label.png').stat().st_mode)
    # the mode open() gives under this process's umask (e.g. 0644), not mkstemp's private 0600
    assert mode == stat.S_IMODE(plain.stat().st_mode)
