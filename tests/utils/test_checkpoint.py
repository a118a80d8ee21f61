import io
import os

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from uda_toolbox.utils.checkpoint import allow_toolbox_checkpoint_globals


def _checkpoint_like() -> bytes:
    """What an mmengine runner puts beside the weights: message hub + numpy meta."""
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('iter', 3)
    obj = dict(state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict(),
               meta=dict(seed=np.int64(3), dtype=np.dtype('float32'), hist=np.arange(3)))
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_checkpoint_loads_with_weights_only_after_allow_list():
    data = _checkpoint_like()
    torch.serialization.clear_safe_globals()
    with pytest.raises(Exception, match='HistoryBuffer'):
        torch.load(io.BytesIO(data), weights_only=True)
    allow_toolbox_checkpoint_globals()
    loaded = torch.load(io.BytesIO(data), weights_only=True)
    assert loaded['meta']['seed'] == 3
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(0.375)


def test_allow_list_still_refuses_other_globals():
    allow_toolbox_checkpoint_globals()
    buf = io.BytesIO()
    torch.save(dict(danger=os.getcwd), buf)
    with pytest.raises(Exception, match='getcwd|Unsupported global'):
        torch.load(io.BytesIO(buf.getvalue()), weights_only=True)


def test_latest_checkpoint_falls_back_to_the_newest_iteration(tmp_path):
    from uda_toolbox.utils.checkpoint import latest_checkpoint

    assert latest_checkpoint(str(tmp_path / 'missing')) is None
    assert latest_checkpoint(str(tmp_path)) is None
    for step in (2, 10, 9):
        (tmp_path / f'iter_{step}.pth').write_bytes(b'x')
    (tmp_path / 'iter_11.pth.tmp').write_bytes(b'x')  # not a checkpoint name
    # No pointer, or one naming a deleted file (mmengine deletes before it writes): the highest
    # step by number (10, not the lexicographic 9).
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_12.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    # A pointer naming an existing file wins, even an older one.
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth') + '\n')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2.pth')
