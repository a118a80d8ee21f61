"""Reliability and security through the tools (issue 17): checkpoints that cannot run code or load
damaged, checkpoint saves that survive a full disk, one run per work dir, --resume that falls back
to an intact checkpoint, strict test weights, clear config errors. The tools run in-process
(``tools.train.main`` / ``tools.test.main``) on the tiny pair."""
import json
import os
import shutil
import signal
import subprocess
import sys
import warnings

import pytest
import torch
from checkpoint_attacks import writes
from run_tools import tool_exit, write_config

from tools import test as test_tool
from tools import train as train_tool
from uda_toolbox.apis import build_train_config
from uda_toolbox.apis.runner import LOCK_FILE
from uda_toolbox.engine.fileio import AtomicLocalBackend
from uda_toolbox.utils.checkpoint import verify_checkpoint_file


@pytest.fixture(scope='module')
def trained(tmp_path_factory, tiny_pair):
    """A source-only run of 2 iterations: its work dir holds iter_1.pth and iter_2.pth."""
    root = tmp_path_factory.mktemp('trained')
    cfg = write_config(root, tiny_pair)
    train_tool.main([str(cfg), '--work-dir', str(root / 'work')])
    assert (root / 'work/iter_1.pth').is_file() and (root / 'work/iter_2.pth').is_file()
    return root / 'work'


def copy_run(trained, tmp_path, steps=(1, 2)):
    work = tmp_path / 'work'
    work.mkdir()
    for step in steps:
        shutil.copy(trained / f'iter_{step}.pth', work)
    (work / 'last_checkpoint').write_text(str(work / f'iter_{max(steps)}.pth'))
    return work


# ----------------------------------------------------------------------------- checkpoints
def test_resume_never_executes_config_text_of_a_checkpoint(tmp_path, tiny_pair, trained):
    """mmengine's Runner.resume runs meta['config'] (to read gpu_ids): a crafted checkpoint
    would run code on --resume."""
    marker = tmp_path / 'code_ran'
    work = copy_run(trained, tmp_path, steps=(2,))
    checkpoint = torch.load(work / 'iter_2.pth')
    checkpoint['meta']['config'] = writes(marker) + '\ngpu_ids = [0]\n'
    torch.save(checkpoint, work / 'iter_2.pth')
    cfg = write_config(tmp_path, tiny_pair, max_iters=3)
    train_tool.main([str(cfg), '--work-dir', str(work), '--resume'])
    assert not marker.exists()
    assert torch.load(work / 'iter_3.pth')['meta']['iter'] == 3  # resumed and trained on


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-5000])


def _flip_a_tensor_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the weights (the pickle and the zip directory are small)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize('damage', [_truncate, _flip_a_tensor_byte])
def test_resume_takes_the_newest_checkpoint_that_verifies(tmp_path, trained, damage, repo_root):
    work = copy_run(trained, tmp_path)
    damage(work / 'iter_2.pth')
    with pytest.warns(UserWarning) as record:
        cfg = build_train_config(str(repo_root / 'configs/source_only/synthetic.py'), str(work),
                                 resume=True)
    assert cfg.resume is True and cfg.load_from == str(work / 'iter_1.pth')
    message = ' '.join(str(w.message) for w in record)
    assert 'iter_2.pth' in message and f'Resuming from the newest intact one, {work}/iter_1.pth' \
        in message

    # No intact checkpoint at all: a clear error, not a fresh start over the run's files.
    damage(work / 'iter_1.pth')
    cfg_path = write_config(tmp_path, trained, max_iters=3)
    message = tool_exit(train_tool, cfg_path, '--work-dir', work, '--resume')
    assert message.startswith('Checkpoint error: --resume: no checkpoint of') and 'iter_1.pth' in message


def test_flipped_tensor_bytes_stop_the_test_tool_unless_skipped(tmp_path, tiny_pair, trained):
    ckpt = tmp_path / 'flipped.pth'
    shutil.copy(trained / 'iter_2.pth', ckpt)
    _flip_a_tensor_byte(ckpt)
    cfg = write_config(tmp_path, tiny_pair)
    work = tmp_path / 'test'
    message = tool_exit(test_tool, cfg, ckpt, '--work-dir', work)
    assert message.startswith('Checkpoint error:') and str(ckpt) in message
    assert 'checksum' in message and '--skip-checksum' in message
    assert not (work / 'test_metrics.json').exists()
    metrics = test_tool.main([str(cfg), str(ckpt), '--work-dir', str(work), '--skip-checksum'])
    assert 'mIoU' in metrics


def _rewrite_weights(trained, tmp_path, rewrite):
    ckpt = tmp_path / 'other.pth'
    checkpoint = torch.load(trained / 'iter_2.pth')
    checkpoint['state_dict'] = rewrite(checkpoint['state_dict'])
    torch.save(checkpoint, ckpt)
    return ckpt


@pytest.mark.parametrize('case', ['num_classes', 'no_prefix', 'other_model'])
def test_test_tool_refuses_weights_that_do_not_fit_the_model(tmp_path, tiny_pair, trained, case):
    """10 vs 15 classes, keys without the 'segmentor.' prefix, another model's keys: an error
    (not a warning on stdout beside the metrics of a partly random model), with an opt-out."""
    ckpt = trained / 'iter_2.pth'
    extra = ''
    if case == 'num_classes':
        extra = 'model = dict(segmentor=dict(decode_head=dict(num_classes=10)))'
        expected = 'weights of another shape (e.g. segmentor.decode_head'
    elif case == 'no_prefix':
        ckpt = _rewrite_weights(trained, tmp_path, lambda sd: {
            k[len('segmentor.'):]: v for k, v in sd.items()})
        expected = 'segmentor weights missing from the checkpoint'
    else:
        ckpt = _rewrite_weights(trained, tmp_path, lambda sd: {
            'encoder.conv1.weight': torch.zeros(8, 3, 3, 3)})
        expected = 'segmentor weights missing from the checkpoint'
    cfg = write_config(tmp_path, tiny_pair, extra=extra)
    work = tmp_path / 'test'
    message = tool_exit(test_tool, cfg, ckpt, '--work-dir', work)
    assert message.startswith(f"Checkpoint error: checkpoint '{ckpt}' does not fit the model")
    assert expected in message and '--allow-partial-weights' in message
    assert not (work / 'test_metrics.json').exists()
    with pytest.warns(UserWarning, match='evaluated anyway'):
        metrics = test_tool.main([str(cfg), str(ckpt), '--work-dir', str(work),
                                  '--allow-partial-weights'])
    assert 'mIoU' in metrics and (work / 'test_metrics.json').is_file()


# ----------------------------------------------------------------------------- saving
def _disk_fails_for(monkeypatch, name, how):
    """The checkpoint backend fails writing ``name``: 'enospc' raises as a full disk does; 'lies'
    writes a cut-off file and reports success (as cv2.imwrite does on a full disk)."""
    put = AtomicLocalBackend.put

    def failing(self, obj, filepath):
        if str(filepath).endswith(name):
            if how == 'enospc':
                raise OSError(28, 'No space left on device', str(filepath))
            return put(self, obj[:len(obj) // 3], filepath)
        return put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', failing)


@pytest.mark.parametrize('how', ['enospc', 'lies'])
def test_full_disk_during_a_save_keeps_the_previous_checkpoint(tmp_path, tiny_pair, monkeypatch,
                                                               how):
    """max_keep_ckpts=1: mmengine deleted the old checkpoint before writing the new one."""
    cfg = write_config(tmp_path, tiny_pair, max_iters=3,
                       extra='default_hooks = dict(logger=dict(interval=1), '
                       'checkpoint=dict(interval=1, max_keep_ckpts=1))')
    work = tmp_path / 'work'
    _disk_fails_for(monkeypatch, 'iter_2.pth', how)
    if how == 'enospc':
        message = tool_exit(train_tool, cfg, '--work-dir', work)
        assert message.startswith('Disk error: No space left on device while writing ')
        assert 'iter_2.pth' in message and '--resume' in message
    else:
        message = tool_exit(train_tool, cfg, '--work-dir', work)
        assert message.startswith("Checkpoint error: checkpoint='") and 'iter_2.pth' in message
        assert 'previous checkpoints were kept' in message
        assert not (work / 'iter_2.pth').exists()  # the broken file is not left as the newest
    verify_checkpoint_file(str(work / 'iter_1.pth'))
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_1.pth')
    monkeypatch.undo()
    train_tool.main([str(cfg), '--work-dir', str(work), '--resume'])  # and the run goes on
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_3.pth']  # max_keep_ckpts=1


def test_stale_temporary_checkpoint_files_are_removed_on_start(tmp_path, tiny_pair):
    work = tmp_path / 'work'
    work.mkdir()
    stale = ['.iter_2.pth.k3j_x9a1.tmp.pth', '.last_checkpoint.abcdefgh.tmp']
    kept = ['.iter_2.pth.notes', 'notes.tmp.pth', '.data.k3j_x9a1.tmp.pth']
    for name in stale + kept:
        (work / name).write_bytes(b'partial')
    train_tool.main([str(write_config(tmp_path, tiny_pair, max_iters=1)), '--work-dir', str(work)])
    names = set(os.listdir(work))
    assert not names & set(stale) and set(kept) <= names


# ----------------------------------------------------------------------------- one run per dir
def test_a_second_run_in_the_same_work_dir_stops_and_a_stale_lock_is_taken_over(tmp_path,
                                                                                  tiny_pair):
    work = tmp_path / 'work'
    work.mkdir()
    # Another process holds the work dir's lock as a training run does (an flock on the lock file
    # plus who holds it); plain Python, so it starts at once.
    holder = subprocess.Popen(
        [sys.executable, '-c', 'import fcntl, json, os, socket, sys, time\n'
         'f = open(sys.argv[1], "a+")\n'
         'fcntl.flock(f.fileno(), fcntl.LOCK_EX)\n'
         'f.write(json.dumps(dict(pid=os.getpid(), host=socket.gethostname(), '
         'started="earlier", command="tools/train.py other.py")))\n'
         'f.flush()\n'
         'print("locked", flush=True)\n'
         'time.sleep(120)\n', str(work / LOCK_FILE)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        cfg = write_config(tmp_path, tiny_pair, max_iters=1)
        message = tool_exit(train_tool, cfg, '--work-dir', work)
        assert message.startswith(f"Work dir error: '{work}' is in use by process {holder.pid} on ")
        assert '(started earlier: tools/train.py other.py)' in message
        assert '--work-dir' in message and 'overwrite' in message
        assert not list(work.glob('*.pth'))
    finally:
        holder.send_signal(signal.SIGKILL)  # dies holding the lock: it is stale now
        holder.wait()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        train_tool.main([str(cfg), '--work-dir', str(work)])
    assert (work / 'iter_1.pth').is_file()
    assert any(f'stale lock of process {holder.pid}' in str(w.message) for w in record)


# ----------------------------------------------------------------------------- config errors
@pytest.mark.parametrize('typo, expected', [
    ('model = dict(lamda_seg_s=1.0)', "model.lamda_seg_s: IAST has no parameter "
     "'lamda_seg_s'; did you mean 'lambda_seg_s'?"),
    ('train_cfg = dict(max_iter=3)', "train_cfg.max_iter: IterBasedTrainLoop has no parameter "
     "'max_iter'; did you mean 'max_iters'?"),
    ("train_dataloader = dict(batch_size=2, dataset=dict(source=dict(data_root='{pair}'), "
     "target=dict(data_root='{pair}', pseudo_labels_dir='x')))",
     "train_dataloader.dataset.target.pseudo_labels_dir: ClipDataset has no parameter "
     "'pseudo_labels_dir'; did you mean 'pseudo_label_dir'?"),
    ('default_hooks = dict(checkpoint=dict(intervl=1))', "default_hooks.checkpoint.intervl: "
     "VerifiedCheckpointHook has no parameter 'intervl'; did you mean 'interval'?"),
    ('randomnes = dict(seed=1)', "randomnes: not a key the runner reads (it would be ignored); "
     "did you mean 'randomness'?"),
])
def test_config_typos_stop_before_training_with_the_closest_name(tmp_path, tiny_pair, typo,
                                                                  expected):
    cfg = write_config(tmp_path, tiny_pair, base='configs/iast/synthetic.py', extra=f"""
pseudo_labels = dict(progress=False, label_dataset=dict(data_root='{tiny_pair}'))
{typo.format(pair=tiny_pair)}""")
    work = tmp_path / 'work'
    message = tool_exit(train_tool, cfg, '--work-dir', work)
    assert message.startswith(f'Config error: 1 unknown key(s) in {cfg}:')
    assert expected in message
    assert not list(work.glob('*.pth'))


def test_a_policy_typo_and_several_typos_at_once(tmp_path, tiny_pair):
    cfg = write_config(tmp_path, tiny_pair, base='configs/iast/synthetic.py', extra=f"""
pseudo_labels = dict(policy=dict(gama=8.0), label_dataset=dict(data_root='{tiny_pair}'))
model = dict(lamda_seg_t=1.0)""")
    message = tool_exit(train_tool, cfg, '--work-dir', tmp_path / 'work')
    assert message.startswith('Config error: 2 unknown key(s)')
    assert "pseudo_labels.policy.gama: InstanceAdaptivePolicy has no parameter 'gama'; did you " \
        "mean 'gamma'?" in message
    assert "model.lamda_seg_t: IAST has no parameter 'lamda_seg_t'" in message


def test_every_config_of_the_repository_passes_the_check(repo_root):
    from uda_toolbox.apis import config_problems
    configs = sorted(p for p in repo_root.glob('configs/*/*.py')
                     if p.parent.name not in ('_base_', 'benchmarks'))
    assert len(configs) > 40
    for path in configs:
        assert config_problems(build_train_config(str(path), '/nonexistent/work')) == [], path


def test_a_comma_in_a_cfg_options_path(tmp_path, tiny_pair):
    cfg = write_config(tmp_path, tiny_pair)
    message = tool_exit(train_tool, cfg, '--work-dir', tmp_path / 'work', '--cfg-options',
                        'load_from=/data/run,2/iter_4.pth')
    assert message.startswith('Config error: --cfg-options load_from=...: the value was split at '
                              "its commas into ['/data/run', '2/iter_4.pth']")
    assert 'config file' in message


def test_symbolic_link_loops(tmp_path, tiny_pair):
    loop = tmp_path / 'loop'
    os.symlink(loop, loop)  # a link to itself
    cfg = write_config(tmp_path, loop)
    message = tool_exit(train_tool, cfg, '--work-dir', tmp_path / 'work')
    assert message.startswith('Data error:') and str(loop) in message and 'symbolic link loop' \
        in message
    message = tool_exit(train_tool, write_config(tmp_path, tiny_pair), '--work-dir', loop / 'run')
    assert message.startswith('Work dir error') and 'symbolic link loop' in message
    message = tool_exit(train_tool, loop)
    assert message == f"Config file '{loop}' is (or goes through) a symbolic link loop (links " \
        'that point at each other); fix the links.'


def test_metrics_file_is_json_of_the_evaluated_checkpoint(tmp_path, tiny_pair, trained):
    """The strict loading changes nothing for a checkpoint that fits: metrics as before."""
    cfg = write_config(tmp_path, tiny_pair)
    out = tmp_path / 'metrics.json'
    test_tool.main([str(cfg), str(trained / 'iter_2.pth'), '--work-dir', str(tmp_path / 't'),
                    '--out', str(out)])
    record = json.loads(out.read_text())
    assert record['checkpoint'] == str(trained / 'iter_2.pth') and 'mIoU' in record['metrics']


# ----------------------------------------------------------------------------- flow files
@pytest.mark.parametrize('bad', ['nan', 'inf', 'aspect'])
def test_bad_flow_stops_vst_with_one_line_naming_the_file(tmp_path, tiny_pair, bad):
    """NaN/inf flow made VST train on zero target labels; a flow of another frame's shape went
    through the round (or failed deep inside it)."""
    import numpy as np
    pair = tmp_path / 'pair'
    shutil.copytree(tiny_pair, pair)
    flow_file = pair / 'target/train/flow/001/001_00004_bw.npy'
    flow = np.load(flow_file)
    if bad == 'aspect':
        flow = np.zeros((64, 32, 2), flow.dtype)  # frames are 32x64
    else:
        flow[3, 5, 0] = float(bad)
    np.save(flow_file, flow)
    cfg = write_config(tmp_path, pair, base='configs/vst/synthetic.py', extra=f"""
pseudo_labels = dict(progress=False, label_dataset=dict(data_root='{pair}'))""")
    message = tool_exit(train_tool, cfg, '--work-dir', tmp_path / 'work')
    assert message.startswith('Data error:') and str(flow_file) in message
    assert len(message.splitlines()) == 1 and 'compute_flow.py' in message
    assert ('NaN or infinite' in message) == (bad != 'aspect')
