"""tools/analysis/pseudo_label_quality.py (Table 7) on the tiny pair with an untrained model."""
import json

import pytest

from tools.analysis.pseudo_label_quality import main


@pytest.fixture(scope='module')
def table7_files(tmp_path_factory, repo_root, tiny_pair, untrained_checkpoint):
    """configs/vst/synthetic_table7.py reading the tiny pair, and a random-weight checkpoint."""
    root = tmp_path_factory.mktemp('table7')
    cfg = root / 'table7.py'
    cfg.write_text(f"""
_base_ = ['{repo_root}/configs/vst/synthetic_table7.py']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=1, **_loader, dataset=dict(
    source=dict(data_root='{tiny_pair}'), target=dict(data_root='{tiny_pair}')))
pseudo_labels = dict(label_dataset=dict(data_root='{tiny_pair}'))
load_from = None
""")
    ckpt = untrained_checkpoint(cfg, root / 'model.pth')
    return cfg, ckpt


def test_proportions_are_reached_by_bisection(tmp_path, table7_files, capsys):
    cfg, ckpt = table7_files
    out = tmp_path / 'table7.json'
    main([str(cfg), str(ckpt), '--no-timing', '--out', str(out)])
    results = json.loads(out.read_text())
    assert results['frames'] == 30  # 3 target training clips x 10 frames
    assert set(results['table']) == {'CB', 'IA', 'Ours'} and results['rounds'] == {}
    cb = results['table']['CB']
    # Class-balanced labels a share of every class, so any proportion is reachable: within the
    # config's tolerance, with a larger portion for the larger proportion.
    for proportion in ('0.3', '0.4'):
        assert abs(cb[proportion]['proportion'] - float(proportion)) <= 0.005
        assert cb[proportion]['param'] == 'portion' and 0.0 <= cb[proportion]['p_miou'] <= 100.0
    assert cb['0.3']['value'] < cb['0.4']['value']
    printed = capsys.readouterr().out
    assert '| P-mIoU | CB | IA | Ours |' in printed
    # An untrained model's near-uniform softmax stays below every adaptive threshold (theta_0 =
    # 0.9): nothing is labelled, and the table says '-' instead of failing on the missing P-mIoU.
    for name in ('IA', 'Ours'):
        for entry in results['table'][name].values():
            assert entry['proportion'] == 0.0 and entry['p_miou'] is None
    assert '| 0.3 | ' in printed and '| - (0.000) | - (0.000) |' in printed

def test_missing_checkpoint_is_a_clear_error(table7_files, tmp_path):
    cfg, _ = table7_files
    with pytest.raises(SystemExit, match="checkpoint '.*nope.pth' does not exist"):
        main([str(cfg), str(tmp_path / 'nope.pth')])
