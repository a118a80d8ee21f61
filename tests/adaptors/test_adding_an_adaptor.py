"""docs/adding_an_adaptor.md works: its file and config blocks build an adaptor that trains."""
import importlib.util
import re
import sys

from mmengine.optim import OptimWrapper

from uda_toolbox.registry import MODELS


def _blocks(doc):
    """``{path: code}`` of the python blocks whose first line is a ``# <path>`` comment."""
    blocks = {}
    for code in re.findall(r'```python\n(.*?)```', doc, flags=re.S):
        first = code.splitlines()[0]
        assert first.startswith('# '), first
        blocks[first[2:].strip()] = code
    return blocks


def test_walkthrough_builds_and_trains(tmp_path, repo_root, adaptor_from_config, train_iters):
    blocks = _blocks((repo_root / 'docs/adding_an_adaptor.md').read_text())
    assert set(blocks) == {'uda_toolbox/adaptors/max_square.py', 'configs/max_square/synthetic.py'}

    # The adaptor file, imported as a module (in the package it is imported by __init__.py).
    module_path = tmp_path / 'max_square_example.py'
    module_path.write_text(blocks['uda_toolbox/adaptors/max_square.py'])
    if 'MaxSquare' not in MODELS.module_dict:
        spec = importlib.util.spec_from_file_location('max_square_example', module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules['max_square_example'] = module
        spec.loader.exec_module(module)
    assert 'MaxSquare' in MODELS.module_dict

    # The config, next to the repo's _base_ files as it would be in configs/max_square/.
    configs = tmp_path / 'configs'
    (configs / 'max_square').mkdir(parents=True)
    (configs / '_base_').symlink_to(repo_root / 'configs' / '_base_')
    (configs / 'max_square' / 'synthetic.py').write_text(blocks['configs/max_square/synthetic.py'])

    model, optim = adaptor_from_config(configs / 'max_square' / 'synthetic.py')
    assert type(model).__name__ == 'MaxSquare' and model.lambda_target == 0.1
    assert type(optim) is OptimWrapper
    logs = train_iters(model, optim, n=2)
    assert set(logs[-1]) == {'loss', 'loss_seg_src', 'loss_max_square'}
    # -lambda * (1/2) sum_c p_c^2 lies in [-lambda / 2, -lambda / (2C)].
    assert -0.05 <= float(logs[-1]['loss_max_square']) <= -0.05 / 15
