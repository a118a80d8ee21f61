"""DA-VSN / TPS flow files (int16 x 10, three naming schemes) through the toolbox's one flow reader."""
import numpy as np
import pytest

from uda_toolbox.utils.errors import DataFormatError
from uda_toolbox.utils.flow_io import original_flow_name, read_flow, write_original_flow


def test_int16_x10_round_trip_truncates_toward_zero(tmp_path):
    flow = np.array([[[1.26, -1.26], [0.04, -0.06]], [[3276.7, -3276.7], [12.0, -0.5]]],
                    np.float32)
    path = tmp_path / '001_0001000009_int16_x10.npy'
    write_original_flow(path, flow)
    raw = np.load(path)
    assert raw.dtype == np.int16 and raw.shape == (2, 2, 2)
    # np.int16() of the originals' scripts truncates: 12.6 -> 12, -12.6 -> -12, -0.6 -> 0.
    assert raw[0, 0].tolist() == [12, -12] and raw[0, 1].tolist() == [0, 0]
    assert raw[1, 0].tolist() == [32767, -32767]
    back = read_flow(path)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, np.trunc(flow * np.float32(10)) / 10, atol=1e-6)
    assert np.abs(back - flow).max() < 0.1 + 1e-5


def test_writer_and_reader_refuse_what_is_not_the_format(tmp_path):
    with pytest.raises(ValueError, match='_int16_x10.npy'):
        write_original_flow(tmp_path / 'flow.npy', np.zeros((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match='3276.7'):
        write_original_flow(tmp_path / 'a_int16_x10.npy', np.full((2, 2, 2), 4000.0, np.float32))
    # An int16 array under another name is not silently read as pixels x 10.
    np.save(tmp_path / 'other.npy', np.zeros((2, 2, 2), np.int16))
    with pytest.raises(DataFormatError, match='_int16_x10.npy'):
        read_flow(tmp_path / 'other.npy')
    np.save(tmp_path / 'bad_int16_x10.npy', np.zeros((2, 2, 3), np.int16))
    with pytest.raises(DataFormatError, match=r'\(H, W, 2\)'):
        read_flow(tmp_path / 'bad_int16_x10.npy')


@pytest.mark.parametrize('naming, frame, previous, expected', [
    # research/peers_davsn_tps.md section 4.2, one example per scheme.
    ('cityscapes', 'train/aachen/aachen_000000_000019_leftImg8bit.png',
     'aachen_000000_000018_leftImg8bit.png', 'aachen_000000_000019_000018_int16_x10.npy'),
    ('cityscapes', 'val/img/0001_0004_frankfurt_000000_001236_newImg8bit.png',
     'frankfurt_000000_001235_leftImg8bit.png', 'frankfurt_000000_001236_001235_int16_x10.npy'),
    ('cityscapes', 'bad_honnef_000001_000020_leftImg8bit.png',
     'bad_honnef_000001_000019_leftImg8bit.png', 'bad_honnef_000001_000020_000019_int16_x10.npy'),
    ('viper', 'img/001/001_00010.jpg', 'img/001/001_00009.jpg', '001_0001000009_int16_x10.npy'),
    ('synthia', 'rgb/000001.png', 'rgb/000000.png', '000001_int16_x10.npy'),
])
def test_original_flow_names(naming, frame, previous, expected):
    assert original_flow_name(naming, frame, previous) == expected


def test_original_flow_name_errors_name_the_file():
    with pytest.raises(DataFormatError, match='clip_00004.png'):
        original_flow_name('viper', 'clip_00004.png', 'clip_00003.png')
    with pytest.raises(ValueError, match='naming'):
        original_flow_name('kitti', 'a.png', 'b.png')
