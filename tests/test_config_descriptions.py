"""Every method config states in one line what it runs (``description``), and the benchmark specs'
rows can take their descriptions from the configs they run (issue 16: Table 3 rows were labelled
by hand and the labels had drifted from the configs)."""
from pathlib import Path

import pytest
from mmengine.config import Config

from uda_toolbox.apis import config_description

REPO = Path(__file__).resolve().parents[1]
METHOD_CONFIGS = sorted(p for p in REPO.glob('configs/*/*.py')
                        if p.parent.name not in ('_base_', 'benchmarks'))
SPECS = sorted(REPO.glob('configs/benchmarks/*.py'))


@pytest.mark.parametrize('config', METHOD_CONFIGS, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_every_method_config_describes_itself(config):
    text = config_description(str(config))
    assert 10 <= len(text) <= 100


@pytest.mark.parametrize('spec', SPECS, ids=lambda p: p.stem)
def test_configs_of_a_spec_have_distinct_descriptions(spec):
    # Rows that run one config from different checkpoints (Table 5) differ in `depends`.
    configs = sorted({row['config'] for row in Config.fromfile(str(spec)).rows})
    texts = [config_description(str(REPO / config)) for config in configs]
    assert len(set(texts)) == len(texts), texts


@pytest.mark.parametrize('data', ['synthetic', 'viper2cityscapes'])
def test_table3_descriptions_say_what_the_configs_run(data):
    # Shin et al. (2021) Table 3: (2) image D without Dice, (3) image D + single-frame Dice,
    # (4) image D + tube Dice, Ours: sequence D + tube Dice. The text follows the model options.
    discriminators = {'FCDiscriminator': 'image discriminator',
                      'SequenceDiscriminator': 'sequence discriminator'}
    dice = {None: 'no Dice', 'frame': 'single-frame Dice', 'tube': 'tube Dice'}
    for suffix, row in [('_model2', '(2)'), ('_model3', '(3)'), ('_model4', '(4)'), ('', 'Ours')]:
        path = REPO / 'configs' / 'vat' / f'{data}{suffix}.py'
        model = Config.fromfile(str(path)).model
        disc, loss = discriminators[model.discriminator.type], dice[model.dice]
        joiner = ', ' if model.dice is None else ' + '
        expected = (f'VAT Table 3 {row}: ' if row != 'Ours' else 'VAT (Table 3 Ours): ')
        assert config_description(str(path)) == expected + disc + joiner + loss


def test_description_must_be_the_files_own_single_line(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text("description = 'the base'\nx = 1\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./base.py']\nx = 2\n")
    assert config_description(str(base)) == 'the base'
    with pytest.raises(ValueError, match=r'child\.py sets no top-level description'):
        config_description(str(child))  # inherited: it describes the base, not this file
    child.write_text("_base_ = ['./base.py']\ndescription = 'two\\nlines'\n")
    with pytest.raises(ValueError, match='one non-empty line'):
        config_description(str(child))
    child.write_text("_base_ = ['./base.py']\ndescription = {{_base_.description}}\n")
    with pytest.raises(ValueError, match='plain string literal'):
        config_description(str(child))
