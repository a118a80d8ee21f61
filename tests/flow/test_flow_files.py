import cv2
import mmcv
import numpy as np
import pytest

from uda_toolbox.utils.errors import DataCorruptError, DataFormatError
from uda_toolbox.utils.flow_io import read_flow, write_flo, write_flow


@pytest.fixture
def flow():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(5, 7, 2)) * 8).astype(np.float32)


def test_flo_round_trip_and_layout(tmp_path, flow):
    path = tmp_path / 'a.flo'
    write_flo(path, flow)
    raw = path.read_bytes()
    assert raw[:4] == b'PIEH' and len(raw) == 12 + 5 * 7 * 2 * 4
    assert np.frombuffer(raw, '<i4', count=2, offset=4).tolist() == [7, 5]  # width, height
    back = read_flow(path)
    assert back.dtype == np.float32 and np.array_equal(back, flow)
    # mmcv's reader of the format reads the same values (utils/flow_io.py says why ours is used).
    assert np.array_equal(mmcv.flowread(str(path)), back)


def test_flo_unknown_marker_is_invalid(tmp_path, flow):
    flow[1, 2] = [1e10, 0]
    write_flow(tmp_path / 'b.flo', flow)
    back, valid = read_flow(tmp_path / 'b.flo', return_valid=True)
    assert not valid[1, 2] and valid.sum() == 5 * 7 - 1
    assert back[1, 2].tolist() == [0.0, 0.0]


@pytest.mark.parametrize('dtype', [np.float16, np.float32])
def test_npy_round_trip(tmp_path, flow, dtype):
    write_flow(tmp_path / 'c.npy', flow.astype(dtype))
    assert np.load(tmp_path / 'c.npy').dtype == dtype  # stored as given (the layout uses float16)
    back = read_flow(tmp_path / 'c.npy')
    assert back.dtype == np.float32 and np.array_equal(back, flow.astype(dtype).astype(np.float32))


def test_kitti_png_round_trip(tmp_path, flow):
    valid = np.ones(flow.shape[:2], dtype=bool)
    valid[0, 0] = False
    write_flow(tmp_path / 'd.png', flow, valid=valid)
    raw = cv2.imread(str(tmp_path / 'd.png'), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.shape == (5, 7, 3)
    # KITTI encoding: R = u * 64 + 2^15 (cv2 reads BGR, so channel 2), B = valid.
    assert raw[2, 3, 2] == round(flow[2, 3, 0] * 64 + 32768) and raw[0, 0, 0] == 0
    back, back_valid = read_flow(tmp_path / 'd.png', return_valid=True)
    assert np.array_equal(back_valid, valid)
    assert np.abs(back - flow)[valid].max() <= 0.5 / 64 + 1e-6  # quantised to 1/64 px
    assert back[0, 0].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match='512'):
        write_flow(tmp_path / 'e.png', np.full((2, 2, 2), 600, np.float32))


def test_corrupt_files_raise_clear_errors(tmp_path, flow):
    with pytest.raises(FileNotFoundError, match='missing.flo'):
        read_flow(tmp_path / 'missing.flo')

    bad_magic = tmp_path / 'magic.flo'
    bad_magic.write_bytes(b'XXXX' + b'\0' * 20)
    with pytest.raises(ValueError, match='magic.flo.*not a Middlebury'):
        read_flow(bad_magic)

    write_flo(tmp_path / 'cut.flo', flow)
    truncated = tmp_path / 'cut.flo'
    truncated.write_bytes(truncated.read_bytes()[:-10])
    with pytest.raises(ValueError, match='cut.flo.*truncated'):
        read_flow(truncated)
    (tmp_path / 'tiny.flo').write_bytes(b'PIEH')
    with pytest.raises(ValueError, match='tiny.flo.*truncated'):
        read_flow(tmp_path / 'tiny.flo')

    (tmp_path / 'garbage.npy').write_bytes(b'not an npy file at all')
    with pytest.raises(ValueError, match='garbage.npy'):
        read_flow(tmp_path / 'garbage.npy')
    np.save(tmp_path / 'shape.npy', np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r'shape.npy.*\(H, W, 2\)'):
        read_flow(tmp_path / 'shape.npy')

    cv2.imwrite(str(tmp_path / 'eight.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='eight.png.*16-bit'):
        read_flow(tmp_path / 'eight.png')
    (tmp_path / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n broken')
    with pytest.raises(ValueError, match='broken.png'):
        read_flow(tmp_path / 'broken.png')

    (tmp_path / 'x.pfm').write_bytes(b'')
    with pytest.raises(ValueError, match='x.pfm.*extension'):
        read_flow(tmp_path / 'x.pfm')


@pytest.mark.parametrize('suffix,dtype', [('.npy', np.float32), ('.npy', np.float16), ('.flo', np.float32)])
@pytest.mark.parametrize('unknown', [None, np.nan, np.inf, -np.inf, 2e9])
def test_read_flow_zeroes_unknown_pixels_and_refuses_non_finite_values(tmp_path, flow, suffix,
                                                                       dtype, unknown):
    # Bit for bit what read_flow always returned, np.where(valid, flow, 0), whether or not it
    # has unknown pixels to clear (it skips that pass when every pixel is known).
    flow[0, 0, 1] = -0.0  # the sign of a zero survives
    if unknown is not None:
        flow[2, 3, 0] = flow[4, 6, 1] = unknown
    path = tmp_path / f'f{suffix}'
    write_flow(path, flow.astype(dtype))
    stored = flow.astype(dtype).astype(np.float32)  # 2e9 overflows float16 to inf
    if not np.isfinite(stored).all():
        # NaN / inf is a broken flow computation, not "unknown": read as unknown it would
        # silently remove every pseudo label that needs flow (issue 17).
        with pytest.raises(DataCorruptError) as err:
            read_flow(path)
        assert str(err.value) == (f'{path}: flow holds 2 NaN or infinite values (of '
                                  f'{stored.size}); recompute it (tools/data/compute_flow.py)')
        return
    expected_valid = np.ones(stored.shape[:2], bool)
    if suffix == '.flo':  # Middlebury's unknown marker; a large .npy value is just large
        expected_valid &= (np.abs(stored) < 1e9).all(-1)
    back, valid = read_flow(path, return_valid=True)
    assert np.array_equal(valid, expected_valid)
    assert valid.all() == (unknown is None or suffix == '.npy')
    expected = np.where(expected_valid[..., None], stored, 0).astype(np.float32)
    assert back.dtype == np.float32 and back.flags.writeable
    assert np.array_equal(back.view(np.uint32), expected.view(np.uint32))
    alone = read_flow(path)  # without return_valid: one whole-array test when all is known
    assert alone.flags.writeable and np.array_equal(alone.view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize('version', [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize('fortran', [False, True])
def test_npy_header_cache_reads_what_np_load_reads(tmp_path, flow, version, fortran):
    array = np.asfortranarray(flow) if fortran else flow
    path = tmp_path / 'v.npy'
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, array, version=version)
    for _ in range(2):  # the second read takes the cached header
        back = read_flow(path)
        assert back.flags.writeable and np.array_equal(back, np.load(path))
    path.write_bytes(path.read_bytes()[:-9])  # truncated: np.load's error, named
    with pytest.raises(ValueError, match='v.npy.*truncated'):
        read_flow(path)


def test_flow_of_no_pixels_is_a_format_error(tmp_path):
    path = tmp_path / 'empty.npy'
    np.save(path, np.zeros((0, 64, 2), np.float32))
    with pytest.raises(DataFormatError, match='empty.npy: flow must be a floating \\(H, W, 2\\)'):
        read_flow(path)
