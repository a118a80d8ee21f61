import pytest
from mmengine.fileio import get_file_backend

from uda_toolbox.engine.fileio import AtomicLocalBackend


def test_checkpoint_backend_is_selected_by_config_name(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)


def test_put_is_atomic(tmp_path, monkeypatch):
    backend = AtomicLocalBackend()
    path = tmp_path / 'iter_4.pth'
    backend.put(b'complete checkpoint', path)
    assert path.read_bytes() == b'complete checkpoint'

    # A job killed mid-write: the old file stays whole and no partial file is left.
    def killed(self, data):
        self.open('wb').write(data[:3])
        raise KeyboardInterrupt('SIGKILL stand-in')

    monkeypatch.setattr(type(path), 'write_bytes', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'new checkpoint', path)
    monkeypatch.undo()
    assert path.read_bytes() == b'complete checkpoint'
    assert [p.name for p in tmp_path.iterdir()] == ['iter_4.pth']
