"""tools/analysis/benchmark_rounds_eval.py on the tiny pair: both trees measured, their round
files and metrics compared by sha256 (no timing assertions)."""
import json

import cv2
import numpy as np

from tools.analysis.benchmark_rounds_eval import main
from uda_toolbox.analysis.speed.before_after import file_digests


def test_same_tree_gives_identical_files_and_every_figure(tmp_path, repo_root, tiny_pair, capsys):
    config = tmp_path / 'cbst.py'
    config.write_text(f"""
_base_ = ['{repo_root}/configs/cbst/synthetic.py']
train_dataloader = dict(dataset=dict(target=dict(data_root='{tiny_pair}')))
test_dataloader = dict(batch_size=2, dataset=dict(data_root='{tiny_pair}'))
""")
    files, out = tmp_path / 'files', tmp_path / 'results.json'
    main(['--before', str(repo_root), str(config), '--clips', '1', '--repeats', '1',
          '--alternations', '1', '--files-dir', str(files), '--out', str(out)])
    results = json.loads(out.read_text())
    assert 'all identical' in capsys.readouterr().out
    assert results['identical']['all'] and not results['identical']['differ']
    digests = results['digests']['after']
    # Rounds 0 and 1 (10 label PNGs, stats.json and CURRENT), the metrics JSON.
    assert sum(k.endswith('.png') for k in digests) == 20
    assert sum(k.endswith('stats.json') for k in digests) == 2 and 'evaluation.json' in digests
    for side in ('before', 'after'):
        rnd = results['rounds'][side][str(config)]
        assert rnd['policy'] == 'ClassBalancedPolicy' and rnd['frames'] == 10
        assert rnd['round']['cpu'] > 0 and rnd['inference']['cpu'] > 0
        assert results['evaluation'][side]['frames'] == 4
    metrics = json.loads((files / 'after' / 'evaluation.json').read_text())
    assert 0 <= metrics['mIoU'] <= 100

    # A changed label pixel is a difference; a stats.json clock reading is not.
    after = files / 'after'
    png = next(p for p in sorted(after.rglob('*.png')))
    label = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 254 if label[0, 0] != 254 else 253
    cv2.imwrite(str(png), label.astype(np.uint8))
    stats = next(after.rglob('stats.json'))
    content = json.loads(stats.read_text())
    content['seconds'] += 1.0
    stats.write_text(json.dumps(content))
    changed = file_digests(str(after))
    differ = {k for k in changed if changed[k] != digests[k]}
    assert differ == {str(png.relative_to(after))}
