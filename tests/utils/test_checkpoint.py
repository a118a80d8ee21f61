import copy
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from checkpoint_attacks import ENTRIES, nest, payloads, writes
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.logging.history_buffer import HistoryBuffer

from uda_toolbox.utils.checkpoint import (
    CheckpointError,
    allow_toolbox_checkpoint_globals,
    load_checkpoint_file,
    setup_checkpoint_loading,
)


def _checkpoint_like() -> dict:
    """What an mmengine runner puts beside the weights: message hub + numpy meta."""
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('iter', 3)
    return dict(state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict(),
                meta=dict(seed=np.int64(3), dtype=np.dtype('float32'), hist=np.arange(3)))


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_checkpoint_loads_with_weights_only_after_allow_list():
    data = _saved(_checkpoint_like())
    torch.serialization.clear_safe_globals()
    with pytest.raises(Exception, match='HistoryBuffer'):
        torch.load(io.BytesIO(data), weights_only=True)
    allow_toolbox_checkpoint_globals()
    loaded = torch.load(io.BytesIO(data), weights_only=True)
    assert loaded['meta']['seed'] == 3
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert type(buffer) is HistoryBuffer and buffer.mean() == pytest.approx(0.375)
    assert buffer.statistics('max') == 0.5  # the statistic methods survived


def test_allow_list_still_refuses_other_globals():
    allow_toolbox_checkpoint_globals()
    with pytest.raises(Exception, match='getcwd|Unsupported global'):
        torch.load(io.BytesIO(_saved(dict(danger=os.getcwd))), weights_only=True)


def test_allow_list_never_holds_getattr_itself():
    """Even when other code allow-listed getattr, the toolbox's narrow reconstructor replaces it."""
    torch.serialization.add_safe_globals([getattr, HistoryBuffer])
    allow_toolbox_checkpoint_globals()
    entries = torch.serialization.get_safe_globals()
    assert getattr not in entries and HistoryBuffer not in entries
    names = [entry[1] for entry in entries if isinstance(entry, tuple)]
    assert names.count('builtins.getattr') == 1


@pytest.mark.parametrize('entry', sorted(ENTRIES))
@pytest.mark.parametrize('payload', sorted(payloads('-')))
def test_hostile_checkpoint_never_runs_code(tmp_path, entry, payload):
    """Each hostile object, nested in each state entry the toolbox or mmengine read, is refused
    when loaded; had it loaded, what mmengine and the hooks do with loaded state (deep copies,
    pickle.dumps of the dataset meta) would have run it."""
    marker = tmp_path / 'code_ran'
    checkpoint = nest(_checkpoint_like(), ENTRIES[entry], payloads(marker)[payload])
    path = tmp_path / 'hostile.pth'
    path.write_bytes(_saved(checkpoint))
    setup_checkpoint_loading()
    try:
        loaded = load_checkpoint_file(str(path))
    except CheckpointError as exc:
        message = str(exc)
        assert str(path) in message and '--unsafe-load' in message, message
    else:
        copy.deepcopy(loaded)
        pickle.dumps(loaded)
        pytest.fail(f'the hostile checkpoint loaded (code ran: {marker.exists()})')
    assert not marker.exists()
    assert HistoryBuffer._statistics_methods['mean'] is HistoryBuffer.mean  # class state intact


def test_real_history_buffers_and_state_dict_metadata_load(tmp_path):
    """The content check accepts what mmengine writes (buffers, OrderedDict._metadata, Counter)."""
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    checkpoint = _checkpoint_like()
    checkpoint['state_dict'] = model.state_dict()
    checkpoint['param_schedulers'] = [dict(milestones=__import__('collections').Counter({2: 1}))]
    path = tmp_path / 'ok.pth'
    torch.save(checkpoint, path)
    setup_checkpoint_loading()
    loaded = load_checkpoint_file(str(path))
    assert loaded['state_dict']._metadata == model.state_dict()._metadata
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.25


def test_config_text_in_a_checkpoint_is_never_executed(tmp_path):
    marker = tmp_path / 'code_ran'
    path = tmp_path / 'ckpt.pth'
    for text, kept in ((f'{writes(marker)}\ngpu_ids = [0, 1]\n', 'gpu_ids = [0, 1]\n'),
                       (f'import os\nos.system("touch {marker}")\n', None),
                       ('gpu_ids = __import__("os").getpid()', None)):
        torch.save(dict(state_dict={}, meta=dict(epoch=0, iter=2, config=text)), path)
        setup_checkpoint_loading()
        meta = load_checkpoint_file(str(path))['meta']
        assert meta.get('config') == kept
        if kept is not None:  # what mmengine's Runner.resume then runs: the toolbox's own line
            assert Config.fromstring(meta['config'], '.py').gpu_ids == [0, 1]
    assert not marker.exists()


def _flip_tensor_byte(path) -> None:
    """Flip one byte inside the first tensor's record of a zip checkpoint."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith('/data/0'))
    name_len, extra_len = struct.unpack('<HH', data[info.header_offset + 26:info.header_offset + 30])
    data[info.header_offset + 30 + name_len + extra_len + 5] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_tensor_bytes_are_an_error_with_an_opt_out(tmp_path):
    path = tmp_path / 'ckpt.pth'
    weights = torch.arange(64, dtype=torch.float32)
    torch.save(dict(state_dict=dict(w=weights)), path)
    _flip_tensor_byte(path)
    assert not torch.equal(torch.load(path)['state_dict']['w'], weights)  # torch loads it silently
    setup_checkpoint_loading()
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(str(path))
    message = str(err.value)
    assert str(path) in message and 'the bytes of a tensor' in message and 'checksum' in message
    assert '--skip-checksum' in message
    setup_checkpoint_loading(verify_checksums=False)
    try:
        assert not torch.equal(load_checkpoint_file(str(path))['state_dict']['w'], weights)
    finally:
        setup_checkpoint_loading(verify_checksums=True)
