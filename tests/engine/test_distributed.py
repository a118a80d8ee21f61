"""Two processes on CPU (gloo): VAT and VST trained through tools/dist_train.sh hold identical
weights, and sharded pseudo-label rounds write byte for byte the files of one process."""
import json
import os
import os.path as osp
import socket
import subprocess
import time

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.hooks import Hook

from uda_toolbox.datasets import ClipDataset
from uda_toolbox.pseudo_labels import ClassBalancedPolicy, ClipAdaptivePolicy, InstanceAdaptivePolicy
from uda_toolbox.pseudo_labels.predict import (
    ClipPredictor,
    dataset_clips,
    file_flow_fn,
    model_prob_fn,
)
from uda_toolbox.pseudo_labels.round import generate_round
from uda_toolbox.pseudo_labels.sharding import shard_ranges
from uda_toolbox.registry import DATASETS, HOOKS, MODELS, PSEUDO_LABEL_POLICIES
from uda_toolbox.utils.rounds import read_current

WORLD = 2
TIMEOUT = 300  # seconds per 2-process run (about a minute on 2 busy cores)
THIS_DIR = osp.dirname(osp.abspath(__file__))


@HOOKS.register_module()
class RankParamsProbe(Hook):
    """Saves this process's parameters before and after training (``rank<r>_params.pth``)."""

    def before_train(self, runner) -> None:
        self.initial = self._params(runner)

    def after_train(self, runner) -> None:
        torch.save(dict(initial=self.initial, final=self._params(runner)),
                   osp.join(runner.work_dir, f'rank{runner.rank}_params.pth'))

    @staticmethod
    def _params(runner):
        model = getattr(runner.model, 'module', runner.model)
        return {name: p.detach().clone() for name, p in model.named_parameters()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def read_round(directory) -> dict:
    """Every label file of a round directory: relative path -> bytes (stats.json left out)."""
    return {osp.relpath(osp.join(d, f), directory): open(osp.join(d, f), 'rb').read()
            for d, _, files in os.walk(directory) for f in files if f != 'stats.json'}


# --------------------------------------------------------------------- training through torchrun
def dist_config(repo_root, config: str, data_root, work_dir, max_iters: int = 2) -> Config:
    """A repo config shrunk to the tiny pair, gloo, the probe hook; no validation."""
    cfg = Config.fromfile(str(repo_root / config))
    cfg.load_from = None
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    loader = cfg.train_dataloader
    loader.update(batch_size=1, num_workers=0, persistent_workers=False)
    loader.dataset.source.data_root = str(data_root)
    loader.dataset.target.data_root = str(data_root)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=5)
    cfg.default_hooks.logger.interval = 1
    cfg.custom_imports = dict(imports=['test_distributed'], allow_failed_imports=False)
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='RankParamsProbe')]
    return cfg


def dist_train(repo_root, cfg: Config, work_dir) -> None:
    """``bash tools/dist_train.sh CONFIG 2`` on CPU, bounded by TIMEOUT."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(str(work_dir), 'dist_config.py')
    cfg.dump(path)
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='', PORT=str(free_port()),
               PYTHONPATH=os.pathsep.join([THIS_DIR, str(repo_root)]))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', path, str(WORLD), '--work-dir', str(work_dir)],
                          cwd=repo_root, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def assert_identical_trained_params(work_dir, prefixes) -> None:
    ranks = [torch.load(osp.join(work_dir, f'rank{r}_params.pth')) for r in range(WORLD)]
    final = [r['final'] for r in ranks]
    assert list(final[0]) == list(final[1])
    for prefix in prefixes:
        names = [n for n in final[0] if n.startswith(prefix)]
        assert names, prefix
        # Trained (each process saw other batches), and to the same values in both processes.
        assert any(not torch.equal(final[0][n], ranks[0]['initial'][n]) for n in names), prefix
    for name in final[0]:
        assert torch.equal(final[0][name], final[1][name]), name


def test_vat_two_processes(tmp_path, repo_root, tiny_pair):
    work = tmp_path / 'vat'
    dist_train(repo_root, dist_config(repo_root, 'configs/vat/synthetic.py', tiny_pair, work), work)
    assert (work / 'iter_2.pth').is_file()
    assert_identical_trained_params(work, ['segmentor.', 'discriminator.main.'])


def test_vst_two_processes_round_matches_one_process(tmp_path, repo_root, tiny_pair):
    work = tmp_path / 'vst'
    cfg = dist_config(repo_root, 'configs/vst/synthetic.py', tiny_pair, work)
    pl_dir = str(work / 'pseudo_labels')
    cfg.train_dataloader.dataset.target.pseudo_label_dir = pl_dir
    hook = cfg.pseudo_labels
    # The random model's confidences sit in a narrow band far below theta_0 = 0.9: with beta = 0
    # and gamma = 0, theta is the 80th percentile of each clip's, so about 20% get a label.
    hook.update(interval=1, progress=False, label_dataset=None,
                policy=dict(hook.policy, beta=0.0, gamma=0.0))
    dist_train(repo_root, cfg, work)
    assert_identical_trained_params(work, ['segmentor.'])
    # Rounds before iteration 1 and after it, both sharded over the two processes.
    assert read_current(pl_dir) == 'round_1'
    stats = json.loads((work / 'pseudo_labels/round_1/stats.json').read_text())
    assert stats['world_size'] == WORLD and stats['frames'] == 30 and 0 < stats['proportion'] < 1

    # Round 1 again, in this one process, from the checkpoint written right after it.
    checkpoint = torch.load(work / 'iter_1.pth', map_location='cpu')
    model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint['state_dict'])
    model.eval()
    policy = PSEUDO_LABEL_POLICIES.build(dict(hook.policy))
    policy.load_state_dict(checkpoint['pseudo_labels']['history'][1]['policy_before'])
    dataset = DATASETS.build(cfg.train_dataloader.dataset.target)
    dataset.full_init()
    predictor = ClipPredictor(model_prob_fn(model), aggregate=dict(hook.aggregate),
                              flow_fn=file_flow_fn)
    single = generate_round(predictor, dataset_clips(dataset), policy, 1,
                            out_dir=str(tmp_path / 'single'), instance=hook.instance,
                            progress=False)
    sharded_files = read_round(work / 'pseudo_labels/round_1')
    assert len(sharded_files) == 30
    assert read_round(tmp_path / 'single/round_1') == sharded_files
    assert single['proportion'] == stats['proportion']


# --------------------------------------------------------------------- sharded rounds, every policy
NUM_CLASSES = 4


def fake_model(frames: torch.Tensor) -> torch.Tensor:
    """Deterministic probabilities from the pixels: softmax of a fixed linear map of BGR."""
    weights = torch.tensor([[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0], [1.0, 1.0, 1.0]])
    return torch.einsum('cj,kjhw->kchw', weights, frames.float() / 255.0).softmax(dim=1)


def policies():
    """(name, policy, instance, cache_limit_mb, rounds) of every kind of round: two-pass exact and
    sampled (with recomputation), sequential per image (EMA carried into a second round), per two
    frames beyond the memory budget, per clip."""
    return [
        ('cbst', ClassBalancedPolicy(portion=0.3), 'clip', 1024.0, (1,)),
        ('cbst_sampled', ClassBalancedPolicy(portion=0.3, max_samples_per_class=500, seed=3), 1, 0.0,
         (0,)),
        ('iast', InstanceAdaptivePolicy(init_threshold=0.5), 1, 1024.0, (0, 1)),
        ('iast_no_cache', InstanceAdaptivePolicy(init_threshold=0.5), 2, 0.0, (0,)),
        ('clip', ClipAdaptivePolicy(init_threshold=0.5), 'clip', 1024.0, (0,)),
    ]


def target_clips(root):
    dataset = ClipDataset(data_root=str(root), mode='train',
                          data_prefix=dict(img_path='target/train/img', seg_map_path=None))
    return dataset_clips(dataset)


def run_rounds(out_dir, root, distributed: bool) -> dict:
    """The rounds of every policy; their final states."""
    states = {}
    for name, policy, instance, cache, rounds in policies():
        for round_idx in rounds:
            generate_round(ClipPredictor(fake_model), target_clips(root), policy, round_idx,
                           out_dir=osp.join(out_dir, name), instance=instance,
                           cache_limit_mb=cache, progress=False, distributed=distributed)
        states[name] = policy.state_dict()
    return states


def sharded_rounds_worker(rank: int, port: int, root: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch_dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        states = run_rounds(out_dir, root, distributed=True)
        with open(osp.join(out_dir, f'states_rank{rank}.json'), 'w') as f:
            json.dump(states, f)
    finally:
        torch_dist.destroy_process_group()


def test_sharded_rounds_equal_one_process_for_every_policy(tmp_path, tiny_pair):
    sharded = tmp_path / 'sharded'
    sharded.mkdir()
    context = mp.spawn(sharded_rounds_worker, args=(free_port(), str(tiny_pair), str(sharded)),
                       nprocs=WORLD, join=False)
    deadline = time.monotonic() + TIMEOUT
    while not context.join(timeout=2):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f'sharded rounds did not finish in {TIMEOUT} s')
    single_states = run_rounds(str(tmp_path / 'single'), tiny_pair, distributed=False)
    for rank in range(WORLD):
        states = json.loads((sharded / f'states_rank{rank}.json').read_text())
        assert states == json.loads(json.dumps(single_states)), rank  # thresholds, EMA theta
    for name, *_, rounds in policies():
        for round_idx in rounds:
            files = read_round(sharded / name / f'round_{round_idx}')
            assert len(files) == 30, name
            assert files == read_round(tmp_path / 'single' / name / f'round_{round_idx}'), name
            stats = json.loads((sharded / name / f'round_{round_idx}/stats.json').read_text())
            single = json.loads((tmp_path / 'single' / name / f'round_{round_idx}/stats.json').read_text())
            assert stats['world_size'] == WORLD and stats['proportion'] == single['proportion'], name
            assert 0 < stats['proportion'] < 1, name


def test_shard_ranges_are_contiguous_and_balanced():
    assert shard_ranges([10, 10, 10], 2) == [(0, 1), (1, 3)]
    assert shard_ranges([10] * 8, 4) == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert shard_ranges([5], 3) == [(0, 0), (0, 1), (1, 1)]  # fewer clips than processes
    ranges = shard_ranges([30, 1, 1, 1, 30, 2, 2], 3)
    assert ranges[0][0] == 0 and ranges[-1][1] == 7
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_kth_largest_matches_sorting():
    from uda_toolbox.pseudo_labels.policies import kth_largest

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        sets = [np.sort(rng.random(n).astype(dtype)) for n in (1, 7, 100, 1000)]
        sets.append(np.sort(np.array([0.5, 0.5, 0.5, 0.25], dtype)))  # ties
        ranks = np.array([1, 3, 50, 1000, 3])
        expected = [np.sort(v)[::-1][k - 1] for v, k in zip(sets, ranks)]
        out = kth_largest(sets, ranks)
        assert out.dtype == dtype and np.array_equal(out, np.array(expected, dtype))
    assert np.isnan(kth_largest([np.zeros(3, np.float32)], np.array([0]))).all()
