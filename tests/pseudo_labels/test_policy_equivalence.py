"""The faster policies (issue 24) must give the labels and thresholds of their first
implementation bit for bit.

``Frozen*`` below are frozen copies of that implementation (do not edit them): per-class
selections and a sort of every confidence for CBST's k_c, float64 division for its labels, one
``np.percentile`` per class for IAST's Psi_k, ``torch.max`` for confidence and argmax. The
production code computes the same numbers with histograms, float32 with a float64 fallback on
ties, one sort per instance and ``amax``; docs/performance_rounds_and_eval.md explains why each
is exact.
"""
import os

import numpy as np
import pytest
import torch

from uda_toolbox.datasets import ClipDataset
from uda_toolbox.pseudo_labels import (
    ClassBalancedPolicy,
    ClipAdaptivePolicy,
    InstanceAdaptivePolicy,
    LabelEntropyPolicy,
)
from uda_toolbox.pseudo_labels.policies import (
    _class_percentiles,
    _confidences,
    kth_largest,
    kth_largest_by_histogram,
)
from uda_toolbox.pseudo_labels.predict import ClipPredictor, dataset_clips, file_flow_fn
from uda_toolbox.pseudo_labels.round import generate_round

IGNORE = 255


# ----------------------------------------------------------------------------- frozen copies
def frozen_confidences(probs):
    conf, pred = probs.detach().float().max(dim=1)
    return conf.cpu().numpy(), pred.cpu().numpy()


class FrozenClassBalancedMixin:
    """ClassBalancedPolicy's exact observation and float64 labels before issue 24."""

    def _reset_observation(self):
        super()._reset_observation()
        self._frozen_values = {}

    def observe(self, probs, index=None):
        conf, pred = frozen_confidences(probs)
        self._num_classes = probs.shape[1]
        conf, pred = conf.ravel(), pred.ravel()
        for c in np.unique(pred):
            self._frozen_values.setdefault(int(c), []).append(conf[pred == c])

    def finish_observation(self, all_reduce=None):
        values = [np.sort(np.concatenate(self._frozen_values[c])) if c in self._frozen_values
                  else np.zeros(0, np.float32) for c in range(self._num_classes)]
        counts = np.array([v.size for v in values], np.int64)
        ranks = np.floor(counts * self.current_portion).astype(np.int64)
        thresholds = np.array([v[::-1][r - 1] if r > 0 else np.nan for v, r in zip(values, ranks)],
                              np.float32).astype(np.float64)
        self.thresholds = np.where(ranks > 0, thresholds, 1.0)
        self._reset_observation()

    def label(self, probs):
        k = torch.as_tensor(self.thresholds, dtype=torch.float64, device=probs.device)
        weighted = probs.detach().double() / k.view(1, -1, 1, 1)
        score, pred = weighted.max(dim=1)
        labels = torch.where(score >= 1, pred, torch.full_like(pred, IGNORE))
        return labels.to(torch.uint8)


class FrozenClassBalanced(FrozenClassBalancedMixin, ClassBalancedPolicy):
    pass


class FrozenLabelEntropy(FrozenClassBalancedMixin, LabelEntropyPolicy):
    label = LabelEntropyPolicy.label


class FrozenInstanceAdaptiveMixin:
    """InstanceAdaptivePolicy's update and labels before issue 24."""

    def update_thresholds(self, conf, pred):
        theta, alpha = self.theta, self.current_alpha
        psi = np.empty_like(theta)
        for k in range(theta.size):
            values = np.concatenate(([theta[k]], conf[pred == k].astype(np.float64)))
            psi[k] = np.percentile(values, 100 * (1 - alpha * theta[k] ** self.gamma))
        theta = self.beta * theta + (1 - self.beta) * psi
        theta[theta >= 1] = 0.999
        self.theta = theta
        return theta

    def summarize(self, probs):
        conf, pred = frozen_confidences(probs)
        return dict(conf=conf, pred=pred.astype(np.uint8), num_classes=probs.shape[1],
                    device=probs.device)

    def label_with(self, summary, theta):
        pred = summary['pred'].astype(np.int64)
        labels = np.where(summary['conf'] >= theta[pred], pred, IGNORE).astype(np.uint8)
        return torch.from_numpy(labels).to(summary['device'])


class FrozenInstanceAdaptive(FrozenInstanceAdaptiveMixin, InstanceAdaptivePolicy):
    pass


class FrozenClipAdaptive(FrozenInstanceAdaptiveMixin, ClipAdaptivePolicy):
    pass


# ----------------------------------------------------------------------------- inputs
def random_probs(gen, k, c, h, w, sharpness=1.0, levels=None):
    """Softmax of random logits (x sharpness: large values put many confidences just below 1,
    in one histogram bin); ``levels`` quantises them to multiples of 1 / levels (exact ties)."""
    probs = (torch.randn(k, c, h, w, generator=gen) * sharpness).softmax(dim=1)
    if levels is not None:
        probs = torch.round(probs * levels) / levels
    return probs


CASES = [dict(c=4), dict(c=15, sharpness=8.0), dict(c=19, sharpness=30.0),
         dict(c=5, levels=8), dict(c=3, levels=2)]


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize('case', CASES)
def test_confidences_are_torch_max(case):
    gen = torch.Generator().manual_seed(1)
    probs = random_probs(gen, 3, case['c'], 9, 11, case.get('sharpness', 1.0), case.get('levels'))
    conf, pred = _confidences(probs)
    ref_conf, ref_pred = frozen_confidences(probs)
    assert pred.dtype == np.uint8
    assert np.array_equal(conf, ref_conf) and np.array_equal(pred, ref_pred)
    with pytest.raises(ValueError, match='NaN'):
        _confidences(torch.full((1, 3, 2, 2), float('nan')))


@pytest.mark.parametrize('case', CASES)
def test_class_balanced_thresholds_and_labels_equal_the_frozen_policy(case):
    gen = torch.Generator().manual_seed(2)
    instances = [random_probs(gen, 2, case['c'], 12, 17, case.get('sharpness', 1.0),
                              case.get('levels')) for _ in range(4)]
    for policy, frozen in ((ClassBalancedPolicy(), FrozenClassBalanced()),
                           (LabelEntropyPolicy(), FrozenLabelEntropy())):
        for round_idx in (0, 3, 9):  # portions 0.2, 0.35, 0.5
            for p in (policy, frozen):
                p.start_round(round_idx)
                for probs in instances:
                    p.observe(probs)
                p.finish_observation()
            assert np.array_equal(policy.thresholds, frozen.thresholds)
            for probs in instances:
                assert torch.equal(policy.label(probs), frozen.label(probs))


def test_class_balanced_float32_ties_take_the_float64_path():
    # k = (0.5 + 2^-24, 0.5): p_0 / k_0 is below p_1 / k_1 by about 2^-47, so the float32
    # quotients tie and the first index (0) would win; float64 (and the exact order) says 1.
    k0, k1 = np.float32(0.5 + 2 ** -24), np.float32(0.5)
    p1 = np.float32(0.5 + 3 * 2 ** -24)
    p0 = np.float32(p1 + np.float32(2 ** -24))
    assert np.float32(p0 / k0) == np.float32(p1 / k1)
    assert np.float64(p0) / np.float64(k0) < np.float64(p1) / np.float64(k1)
    probs = torch.tensor([[p0, 0.2], [p1, 0.9]]).reshape(1, 2, 1, 2)
    state = dict(round_idx=0, thresholds=[float(k0), float(k1)])
    policy, frozen = ClassBalancedPolicy(), FrozenClassBalanced()
    policy.load_state_dict(state)
    frozen.load_state_dict(state)
    assert frozen.label(probs).tolist() == [[[1, 1]]]
    assert torch.equal(policy.label(probs), frozen.label(probs))
    # Thresholds that are not float32 values (an old state) take the float64 path throughout.
    policy.load_state_dict(dict(round_idx=0, thresholds=[0.1 + 1e-12, 0.3]))
    frozen.load_state_dict(dict(round_idx=0, thresholds=[0.1 + 1e-12, 0.3]))
    gen = torch.Generator().manual_seed(3)
    probs = random_probs(gen, 2, 2, 5, 5)
    assert torch.equal(policy.label(probs), frozen.label(probs))


@pytest.mark.parametrize('case', CASES)
def test_kth_largest_by_histogram_equals_sorting(case):
    gen = torch.Generator().manual_seed(4)
    probs = random_probs(gen, 6, case['c'], 10, 13, case.get('sharpness', 1.0), case.get('levels'))
    conf, pred = zip(*[(c.ravel(), p.ravel()) for c, p in map(_confidences, probs.split(2))])
    for portion in (0.01, 0.2, 0.5, 1.0):
        values, ranks = kth_largest_by_histogram(
            list(conf), list(pred), case['c'], lambda n, p=portion: np.floor(n * p).astype(np.int64))
        all_conf, all_pred = np.concatenate(conf), np.concatenate(pred)
        for c in range(case['c']):
            mine = np.sort(all_conf[all_pred == c])[::-1]
            assert ranks[c] == int(np.floor(mine.size * portion))
            if ranks[c] == 0:
                assert np.isnan(values[c])
            else:
                assert values[c] == mine[ranks[c] - 1]
        sets = [np.sort(all_conf[all_pred == c]) for c in range(case['c'])]
        assert np.array_equal(kth_largest(sets, ranks), values, equal_nan=True)
    with pytest.raises(ValueError, match='non-negative'):
        kth_largest_by_histogram([np.array([-0.5], np.float32)], [np.zeros(1, np.uint8)], 1,
                                 lambda n: n)


def test_class_percentiles_equal_numpy():
    rng = np.random.default_rng(5)
    for trial in range(300):
        num_classes = int(rng.integers(1, 8))
        size = int(rng.integers(0, 60))
        conf = rng.random(size).astype(np.float32)
        if trial % 3 == 0:  # ties
            conf = (np.round(conf * 4) / 4).astype(np.float32)
        pred = rng.integers(0, num_classes, size).astype(np.uint8)
        theta = rng.random(num_classes)
        if size and trial % 4 == 0:  # theta equal to a confidence
            theta[0] = conf[0]
        percents = [float(v) for v in rng.choice([0.0, 100.0, 50.0, rng.random() * 100],
                                                 num_classes)]
        got = _class_percentiles(conf, pred, theta, percents)
        expected = [np.percentile(np.concatenate(([theta[k]], conf[pred == k].astype(np.float64))),
                                  percents[k]) for k in range(num_classes)]
        assert np.array_equal(got, np.array(expected)), trial
    assert _class_percentiles(np.array([np.nan], np.float32), np.zeros(1, np.uint8),
                              np.array([0.9]), [50.0]) is None


@pytest.mark.parametrize('cls,frozen_cls', [(InstanceAdaptivePolicy, FrozenInstanceAdaptive),
                                            (ClipAdaptivePolicy, FrozenClipAdaptive)])
def test_instance_adaptive_thetas_and_labels_equal_the_frozen_policy(cls, frozen_cls):
    gen = torch.Generator().manual_seed(6)
    policy, frozen = cls(init_threshold=0.6), frozen_cls(init_threshold=0.6)
    for round_idx in (0, 1):
        policy.start_round(round_idx)
        frozen.start_round(round_idx)
        for i in range(6):
            probs = random_probs(gen, 2, 6, 8, 9, sharpness=[1.0, 6.0, 20.0][i % 3],
                                 levels=16 if i == 4 else None)
            assert torch.equal(policy.label(probs), frozen.label(probs))
            assert np.array_equal(policy.theta, frozen.theta)


# ----------------------------------------------------------------------------- whole rounds
def fake_model(frames):
    """Deterministic probabilities from the pixels (as tests/pseudo_labels/test_round.py)."""
    weights = torch.tensor([[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0], [1.0, 1.0, 1.0]])
    return torch.einsum('cj,kjhw->kchw', weights, frames.float() / 255.0).softmax(dim=1)


def read_round(directory):
    return {os.path.relpath(os.path.join(d, f), directory): open(os.path.join(d, f), 'rb').read()
            for d, _, files in os.walk(directory) for f in files if f != 'stats.json'}


ROUNDS = [  # name, policy class, frozen class, kwargs, instance, Eq. 10
    ('cbst', ClassBalancedPolicy, FrozenClassBalanced, dict(portion=0.3), 'clip', False),
    ('lrent', LabelEntropyPolicy, FrozenLabelEntropy, dict(portion=0.3), 'clip', False),
    ('iast', InstanceAdaptivePolicy, FrozenInstanceAdaptive, dict(init_threshold=0.5), 2, False),
    ('clip_eq10', ClipAdaptivePolicy, FrozenClipAdaptive, dict(init_threshold=0.5), 'clip', True),
]


@pytest.mark.parametrize('name,cls,frozen_cls,kwargs,instance,aggregate', ROUNDS)
def test_rounds_write_the_files_of_the_frozen_policies(tmp_path, tiny_pair, name, cls, frozen_cls,
                                                       kwargs, instance, aggregate):
    dataset = ClipDataset(data_root=str(tiny_pair), mode='train',
                          data_prefix=dict(img_path='target/train/img', seg_map_path=None,
                                           flow_path='target/train/flow'))
    clips = dataset_clips(dataset)
    predictor = ClipPredictor(fake_model, aggregate=dict() if aggregate else None,
                              flow_fn=file_flow_fn if aggregate else None)
    summaries = {}
    for label, policy_cls, background in (('new', cls, True), ('inline', cls, False),
                                          ('frozen', frozen_cls, False)):
        policy = policy_cls(**kwargs)
        for round_idx in (0, 1):
            summaries[label] = generate_round(
                predictor, clips, policy, round_idx, out_dir=str(tmp_path / label),
                instance=instance, progress=False, background_writes=background)
    frozen = read_round(tmp_path / 'frozen' / 'round_1')
    assert len(frozen) == 30 * (2 if name == 'lrent' else 1)
    assert read_round(tmp_path / 'new' / 'round_1') == frozen
    assert read_round(tmp_path / 'inline' / 'round_1') == frozen
    assert summaries['new']['proportion'] == summaries['frozen']['proportion']
    assert 0 < summaries['new']['proportion'] < 1
