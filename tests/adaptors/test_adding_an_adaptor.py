"""docs/adding_an_adaptor.md works: its file and config blocks build adaptors that train."""
import importlib.util
import json
import re
import sys

from mmengine.config import Config
from mmengine.optim import OptimWrapper

from uda_toolbox.apis import build_runner, config_description
from uda_toolbox.registry import MODELS, PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.rounds import read_current

BLOCKS = {'uda_toolbox/adaptors/max_square.py', 'configs/max_square/synthetic.py',
          'configs/max_square/viper2cityscapes.py', 'configs/max_square/viper2cityscapes_seq.py',
          'configs/max_square/synthia2cityscapes_seq.py',
          'uda_toolbox/pseudo_labels/confidence_threshold.py', 'uda_toolbox/adaptors/threshold_st.py',
          'configs/threshold_st/synthetic.py'}


def _blocks(doc):
    """``{path: code}`` of the python blocks whose first line is a ``# <path>`` comment."""
    blocks = {}
    for code in re.findall(r'```python\n(.*?)```', doc, flags=re.S):
        first = code.splitlines()[0]
        assert first.startswith('# '), first
        blocks[first[2:].strip()] = code
    return blocks


def _import_block(blocks, path, registry, name, tmp_path):
    """Import a file block as a module (in the package its __init__.py would import it)."""
    module_name = name.lower() + '_example'
    module_path = tmp_path / f'{module_name}.py'
    module_path.write_text(blocks[path])
    if name not in registry.module_dict:
        spec = importlib.util.spec_from_file_location(module_name, module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    assert name in registry.module_dict


def _write_configs(blocks, method, repo_root, tmp_path):
    """The method's config blocks, next to the repo's _base_ files as in configs/<method>/."""
    configs = tmp_path / 'configs'
    (configs / method).mkdir(parents=True, exist_ok=True)
    if not (configs / '_base_').exists():
        (configs / '_base_').symlink_to(repo_root / 'configs' / '_base_')
    for path, code in blocks.items():
        if path.startswith(f'configs/{method}/'):
            (configs / method / path.split('/')[-1]).write_text(code)
    return configs / method


def test_walkthrough_builds_and_trains(tmp_path, repo_root, adaptor_from_config, train_iters):
    blocks = _blocks((repo_root / 'docs/adding_an_adaptor.md').read_text())
    assert set(blocks) == BLOCKS
    _import_block(blocks, 'uda_toolbox/adaptors/max_square.py', MODELS, 'MaxSquare', tmp_path)
    configs = _write_configs(blocks, 'max_square', repo_root, tmp_path)
    for name, classes in (('viper2cityscapes', 15), ('viper2cityscapes_seq', 15),
                          ('synthia2cityscapes_seq', 12)):
        real = Config.fromfile(str(configs / f'{name}.py'))
        assert real.model.type == 'MaxSquare' and real.model.segmentor.backbone.depth == 50
        assert real.model.segmentor.decode_head.num_classes == classes
        assert config_description(str(configs / f'{name}.py')).startswith('MaxSquare on ')

    model, optim = adaptor_from_config(configs / 'synthetic.py')
    assert type(model).__name__ == 'MaxSquare' and model.lambda_target == 0.1
    assert type(optim) is OptimWrapper
    logs = train_iters(model, optim, n=2)
    assert set(logs[-1]) == {'loss', 'loss_seg_src', 'loss_max_square'}
    # -lambda * (1/2) sum_c p_c^2 lies in [-lambda / 2, -lambda / (2C)].
    assert -0.05 <= float(logs[-1]['loss_max_square']) <= -0.05 / 15


def test_self_training_walkthrough_trains_with_rounds(tmp_path, repo_root, tiny_pair):
    blocks = _blocks((repo_root / 'docs/adding_an_adaptor.md').read_text())
    _import_block(blocks, 'uda_toolbox/pseudo_labels/confidence_threshold.py', PSEUDO_LABEL_POLICIES,
                  'ConfidenceThresholdPolicy', tmp_path)
    _import_block(blocks, 'uda_toolbox/adaptors/threshold_st.py', MODELS, 'ThresholdST', tmp_path)
    configs = _write_configs(blocks, 'threshold_st', repo_root, tmp_path)

    # The config as written, shrunk to the tiny pair: random initial weights, 2 iterations with a
    # round before each, a threshold the random model's confidences reach.
    cfg = Config.fromfile(str(configs / 'synthetic.py'))
    work = tmp_path / 'work'
    cfg.work_dir, cfg.load_from = str(work), None
    for domain in ('source', 'target'):
        cfg.train_dataloader.dataset[domain].data_root = str(tiny_pair)
    cfg.train_dataloader.batch_size = 2
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=2, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = 2
    cfg.pseudo_labels.update(interval=1, progress=False, policy=dict(threshold=0.07))
    cfg.pseudo_labels.label_dataset.data_root = str(tiny_pair)
    runner = build_runner(cfg)
    runner.train()

    assert read_current(str(work / 'pseudo_labels')) == 'round_1'
    stats = json.loads((work / 'pseudo_labels/round_1/stats.json').read_text())
    assert stats['frames'] == 30 and 0 < stats['proportion'] < 1
    assert runner.message_hub.get_scalar('train/loss_seg_tgt').current() > 0
