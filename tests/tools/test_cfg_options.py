"""--cfg-options on the top-level variables of a config (uda_toolbox.apis.apply_cfg_options): the
declared variables reach the settings they feed; an override that would change nothing is an error
naming the key to set instead."""
import pytest
from fake_benchmark_data import make_viper_tree

from uda_toolbox.apis import ConfigError, build_test_config, build_train_config
from uda_toolbox.registry import DATASETS

VAT = 'configs/vat/viper2cityscapes.py'


def test_viper_sequences_and_roots_reach_the_datasets(repo_root, tmp_path):
    cfg = build_train_config(str(repo_root / VAT), str(tmp_path / 'w'), cfg_options={
        'viper_sequences': ['001', 3], 'viper_condition': None, 'cityscapes_vps_root': '/d/vps'})
    source, target = cfg.train_dataloader.dataset.source, cfg.train_dataloader.dataset.target
    assert source.sequences == ['001', 3] and source.condition is None
    assert target.data_root == '/d/vps'
    assert cfg.val_dataloader.dataset.data_root == cfg.test_dataloader.dataset.data_root == '/d/vps'
    test_cfg = build_test_config(str(repo_root / VAT), 'x.pth', str(tmp_path / 't'),
                                 cfg_options={'cityscapes_vps_root': '/e/vps'})
    assert test_cfg.test_dataloader.dataset.data_root == '/e/vps'


def test_viper_sequences_override_trains_without_a_conditions_file(repo_root, tmp_path):
    # The trap of a new user: the sequences given on the command line must be the ones used, and
    # then no conditions file is needed.
    root = make_viper_tree(tmp_path / 'viper', conditions=False)
    cfg = build_train_config(str(repo_root / VAT), str(tmp_path / 'w'), cfg_options={
        'viper_root': str(root), 'viper_sequences': ['001', '003']})
    source = dict(cfg.train_dataloader.dataset.source, labels='raw')
    assert DATASETS.build(source).clip_ids() == ['001', '003']


def test_self_training_configs_pass_roots_to_the_pseudo_label_ground_truth(repo_root, tmp_path):
    cfg = build_train_config(str(repo_root / 'configs/cbst/viper2cityscapes.py'),
                             str(tmp_path / 'w'), cfg_options={'cityscapes_vps_root': '/d/vps',
                                                               'cityscapes_sequence_root': '/d/seq'})
    assert cfg.pseudo_labels.label_dataset.data_root == '/d/vps'
    assert cfg.pseudo_labels.label_dataset.sequence_root == '/d/seq'
    assert cfg.train_dataloader.dataset.target.sequence_root == '/d/seq'
    synthetic = build_train_config(str(repo_root / 'configs/cbst/synthetic.py'), str(tmp_path / 's'),
                                   cfg_options={'data_root': '/d/pair'})
    loaders = synthetic.train_dataloader.dataset
    assert (loaders.source.data_root == loaders.target.data_root == '/d/pair'
            == synthetic.val_dataloader.dataset.data_root
            == synthetic.pseudo_labels.label_dataset.data_root)


def test_overrides_that_would_change_nothing_are_errors(repo_root, tmp_path):
    config = str(repo_root / VAT)
    with pytest.raises(ConfigError, match="Did you mean 'viper_sequences'") as err:
        build_train_config(config, str(tmp_path / 'w'), cfg_options={'viper_sequence': ['001']})
    assert 'would change nothing' in str(err.value) and 'viper_root' in str(err.value)
    # An undeclared variable: the message names where its value went.
    with pytest.raises(ConfigError, match=r"'source_pipeline' is a variable.*"
                                         r'train_dataloader\.dataset\.source\.pipeline'):
        build_train_config(config, str(tmp_path / 'w'), cfg_options={'source_pipeline.2.scale': 1})
    with pytest.raises(ConfigError, match=r'train_dataloader\.dataset\.source\.tau, '
                                         r'train_dataloader\.dataset\.target\.tau: set those keys'):
        build_train_config(config, str(tmp_path / 'w'), cfg_options={'tau': 2})
    # Keys the runner reads, and nested keys, work as before.
    cfg = build_train_config(config, str(tmp_path / 'w'), cfg_options={
        'randomness.seed': 3, 'load_from': 'a.pth', 'train_dataloader.num_workers': 0})
    assert cfg.randomness.seed == 3 and cfg.load_from == 'a.pth'
    assert cfg.train_dataloader.num_workers == 0


def test_every_benchmark_base_declares_its_roots(repo_root, tmp_path):
    def build(config, **options):
        return build_train_config(str(repo_root / config), str(tmp_path / 'w'), cfg_options=options)

    # Cityscapes-Seq (VIPER and SYNTHIA sources), with a pseudo-label ground-truth dataset.
    cfg = build('configs/cbst/viper2cityscapes_seq.py', viper_root='/d/v', cityscapes_root='/d/c')
    assert cfg.train_dataloader.dataset.source.data_root == '/d/v'
    assert (cfg.train_dataloader.dataset.target.data_root == cfg.val_dataloader.dataset.data_root
            == cfg.test_dataloader.dataset.data_root == cfg.pseudo_labels.label_dataset.data_root
            == '/d/c')
    cfg = build('configs/cbst/synthia2cityscapes_seq.py', synthia_root='/d/s')
    assert cfg.train_dataloader.dataset.source.data_root == '/d/s'
    # The SYNTHIA base redeclares its variables: the inherited viper_root feeds nothing there.
    with pytest.raises(ConfigError, match="'viper_root' is a variable"):
        build('configs/cbst/synthia2cityscapes_seq.py', viper_root='/d/v')
    # Source-free bases (no source dataset), the DAFormer and two-frame bases inherit theirs.
    cfg = build('configs/shot/viper2cityscapes.py', cityscapes_vps_root='/d/vps')
    assert cfg.train_dataloader.dataset.source is None
    assert cfg.train_dataloader.dataset.target.data_root == cfg.val_dataloader.dataset.data_root == '/d/vps'
    cfg = build('configs/shot/synthetic.py', data_root='/d/pair')
    assert cfg.train_dataloader.dataset.target.data_root == cfg.test_dataloader.dataset.data_root == '/d/pair'
    for config in ('configs/daformer/viper2cityscapes.py', 'configs/tps/viper2cityscapes.py'):
        cfg = build(config, viper_root='/d/v', cityscapes_vps_root='/d/vps')
        assert cfg.train_dataloader.dataset.source.data_root == '/d/v'
        assert cfg.train_dataloader.dataset.target.data_root == '/d/vps'


def test_shortcut_names_pass_the_no_effect_check(repo_root, tmp_path):
    cfg = build_train_config(str(repo_root / VAT), str(tmp_path / 'w'), cfg_options={
        'num_workers': 0, 'viper_root': '/d/v'})
    assert cfg.val_dataloader.num_workers == 0 and cfg.train_dataloader.dataset.source.data_root == '/d/v'
