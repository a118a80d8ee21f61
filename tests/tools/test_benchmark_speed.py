"""tools/analysis/benchmark_speed.py on tiny configs: the JSON it writes (no timing assertions)."""
import json

from tools.analysis.benchmark_speed import main
from uda_toolbox.analysis.speed import family


def _config(path, repo_root, data_root, base):
    """A tiny copy of ``configs/<base>.py`` reading the tiny pair, one clip per domain."""
    path.write_text(f"""
_base_ = ['{repo_root}/configs/{base}.py']
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=1, **_loader, dataset=dict(
    source=dict(data_root='{data_root}'), target=dict(data_root='{data_root}')))
val_dataloader = dict(batch_size=2, **_loader, dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
load_from = None
""")
    return str(path)


def test_benchmark_speed_writes_every_figure(tmp_path, repo_root, tiny_pair, capsys):
    so = _config(tmp_path / 'so.py', repo_root, tiny_pair, 'source_only/synthetic')
    adv = _config(tmp_path / 'adv.py', repo_root, tiny_pair, 'adaptsegnet/synthetic')
    vst = _config(tmp_path / 'vst.py', repo_root, tiny_pair, 'vst/synthetic')
    out = tmp_path / 'speed.json'
    # No source-only config among the configs: --reference is added as the reference.
    main([adv, vst, '--reference', so, '--iters', '2', '--warmup', '1', '--repeats', '2',
          '--round-repeats', '1', '--eval-repeats', '1', '--round-clips', '2', '--out', str(out)])
    results = json.loads(out.read_text())

    configs = results['configs']
    reference = configs[results['reference']]
    assert reference['adaptor'] == 'SourceOnly' and reference['added_as_reference']
    assert reference['step']['ratio'] == 1.0
    assert len(configs) == 3
    by_adaptor = {res['adaptor']: res for res in configs.values()}
    adversarial, vst_res = by_adaptor['AdaptSegNet'], by_adaptor['VST']
    for res in configs.values():
        assert res['step']['seconds'] > 0 and len(res['step']['per_repeat']) == 2
        assert res['load']['seconds'] > 0 and res['step_plus_load']['ratio'] > 0
        assert res['memory']['peak_mb'] > 0 and 'method' in res['memory']
        assert res['same_frames']  # every adaptor got the same frames
    assert adversarial['family'] == 'adversarial'
    assert adversarial['target']['max_ratio'] == 1.4
    assert isinstance(adversarial['target']['met'], bool)

    # VST: a round (2 clips of the tiny pair) against plain inference over the same frames,
    # and its training batch read the labels that round wrote.
    assert vst_res['family'] == 'vst_refine' and vst_res['target']['max_ratio'] == 1.3
    rnd = vst_res['pseudo_label_round']
    assert rnd['clips'] == 2 and rnd['frames'] == 20 and rnd['aggregate']
    assert rnd['seconds'] > 0 and rnd['inference_seconds'] > 0
    assert rnd['ratio'] == rnd['seconds'] / rnd['inference_seconds']
    assert {'model', 'read', 'flow', 'aggregate', 'policy'} <= set(rnd['timings'])
    assert 0.0 <= vst_res['pseudo_labelled_proportion'] <= 1.0
    assert 'pseudo_label_round' not in adversarial

    evaluation = results['evaluation']
    assert evaluation['frames'] == 4  # 2 val clips x 2 annotated frames of the tiny pair
    assert evaluation['eval_seconds'] > 0 and evaluation['decode_seconds'] > 0
    assert 0.0 <= evaluation['mIoU'] <= 100.0 and 0.0 <= evaluation['VPQ'] <= 100.0

    assert results['settings']['batch']['shape']['source'] == [1, 2, 3, 32, 64]
    assert results['command'].startswith('python tools/analysis/benchmark_speed.py')
    printed = capsys.readouterr().out
    assert '| config | adaptor | s/it |' in printed and 'evaluation (mIoU + VPQ^s)' in printed


def test_family_decides_the_target(repo_root):
    from mmengine.config import Config

    from uda_toolbox.registry import MODELS

    base = Config.fromfile(f'{repo_root}/configs/_base_/models/tiny_deeplabv2.py').model
    expected = dict(SourceOnly='reference', VAT='vat', ADVENT='adversarial', MinEnt='adversarial',
                    IAST='self_training', CBST='self_training', Oracle='other')
    for name, fam in expected.items():
        assert family(MODELS.build(dict(base, type=name))) == fam, name
    assert family(MODELS.build(dict(base, type='SourceOnly', target_bn=True))) == 'other'
    assert family(MODELS.build(dict(base, type='VST'))) == 'vst_refine'
    assert family(MODELS.build(dict(base, type='VST', refine=None))) == 'self_training'
