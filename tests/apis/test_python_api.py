"""docs/python_api.md runs as written (its cells in order, on a tiny copy of the embedded pair), and
the pieces it shows hold on their own: the adaptor's and mmseg's predictions agree, frames given
as arrays predict as files do."""
import re

import cv2
import numpy as np
import pytest
import torch

from uda_toolbox.apis import export_segmentor, inference_clip, init_adaptor, segmentor_config


def _cells(doc: str):
    return re.findall(r'```python\n(.*?)```', doc, flags=re.S)


@pytest.fixture(scope='module')
def notebook(repo_root, tiny_pair, tmp_path_factory):
    """The namespace after running every cell of docs/python_api.md in a fresh directory."""
    cwd = tmp_path_factory.mktemp('notebook')
    (cwd / 'data').mkdir()
    (cwd / 'data' / 'synthetic_v2').symlink_to(tiny_pair)  # where the configs read the pair
    cells = _cells((repo_root / 'docs/python_api.md').read_text())
    assert [c.splitlines()[0].split(':')[0] for c in cells] == [
        '# cell 1', '# cell 2', '# cell 3', '# cell 4']
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        namespace = {}
        for cell in cells:
            exec(compile(cell, 'docs/python_api.md', 'exec'), namespace)  # noqa: S102
    namespace['cwd'] = cwd
    return namespace


def test_the_notebook_trains_predicts_draws_and_exports(notebook):
    cwd = notebook['cwd']
    assert (cwd / 'work_dirs/api_source_only/iter_20.pth').is_file()
    assert (cwd / 'work_dirs/api_cbst/iter_4.pth').is_file()
    rounds = sorted(p.name for p in (cwd / 'work_dirs/api_cbst/pseudo_labels').glob('round_*'))
    assert rounds == ['round_0', 'round_1']  # {work_dir} replaced, hook built, rounds at 1 and 3
    picture = cv2.imread(str(cwd / 'work_dirs/api_prediction.png'))
    assert picture.shape == notebook['picture'].shape and picture.shape[1] > 3 * 64
    assert len(notebook['results']) == 3
    assert notebook['results'][0].pred_sem_seg.data.shape == (1, 32, 64)  # the frame's size


def test_arrays_predict_as_files_and_the_segmentor_config_is_mmseg(notebook):
    model, frames, results = notebook['model'], notebook['frames'], notebook['results']
    arrays = [cv2.imread(str(notebook['cwd'] / f)) for f in frames]  # BGR, as LoadClipFrames reads
    from_arrays = inference_clip(model, arrays)
    for a, b in zip(from_arrays, results):
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
        assert torch.allclose(a.seg_logits.data, b.seg_logits.data)
    single = inference_clip(model, str(notebook['cwd'] / frames[1]))
    assert torch.equal(single.pred_sem_seg.data, results[1].pred_sem_seg.data)
    # mmseg's segmentor gives the same scores, not only the same arg-max.
    mmseg_scores = notebook['result'].seg_logits.data
    assert torch.allclose(mmseg_scores, results[0].seg_logits.data, atol=1e-5)


def test_real_data_segmentor_config_resizes_like_the_clip_pipeline(repo_root):
    cfg = segmentor_config(str(repo_root / 'configs/vat/viper2cityscapes.py'))
    assert cfg.model.type == 'EncoderDecoder' and cfg.model.backbone.init_cfg is None
    assert cfg.model.data_preprocessor.type == 'SegDataPreProcessor'
    assert cfg.test_pipeline[1] == dict(type='Resize', scale=(1024, 512), keep_ratio=True)
    assert 'discriminator' not in cfg.model


def test_wrong_checkpoints_are_clear_errors(notebook, tmp_path):
    torch.save(dict(state_dict=dict(w=torch.ones(1))), tmp_path / 'other.pth')
    with pytest.raises(ValueError, match='no weights for .* parameters of the segmentor'):
        init_adaptor('configs/source_only/synthetic.py', str(tmp_path / 'other.pth'))
    with pytest.raises(ValueError, match='not an adaptor checkpoint'):
        export_segmentor('configs/source_only/synthetic.py', str(tmp_path / 'other.pth'),
                         str(tmp_path / 'out'))
    with pytest.raises(TypeError, match='frame 1 is a NoneType'):
        inference_clip(notebook['model'], [np.zeros((32, 64, 3), np.uint8), None])
