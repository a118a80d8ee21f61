"""What the speed benchmark measures: its settings, the configs under test and their targets."""
import copy
import dataclasses
import os.path as osp
from typing import Any, Dict, Optional, Set

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from uda_toolbox.adaptors import VAT, VST, AdversarialAdaptor, MinEnt, SelfTrainingAdaptor, SourceOnly

#: Largest acceptable ratio per family (docs/performance.md): a training step against the
#: source-only step, a pseudo-label round against plain inference over the same frames, the
#: evaluation against decoding the label PNGs it reads.
TARGETS = dict(adversarial=1.4, vat=1.6, self_training=1.15, vst_refine=1.3, round=1.3,
               evaluation=1.5)


def family(model: torch.nn.Module) -> str:
    """Which target applies to an adaptor: ``reference`` (source-only, the baseline),
    ``vat``, ``adversarial``, ``vst_refine`` (VST with temporal refinement), ``self_training``,
    or ``other`` (no target: oracle, AdaBN, source-only with target BatchNorm statistics)."""
    if isinstance(model, SourceOnly):
        return 'other' if getattr(model, 'target_bn', False) else 'reference'
    if isinstance(model, VAT):
        return 'vat'
    if isinstance(model, (AdversarialAdaptor, MinEnt)):
        return 'adversarial'  # MinEnt: ADVENT's entropy term, in the adversarial family
    if isinstance(model, VST) and model.refine is not None:
        return 'vst_refine'
    if isinstance(model, SelfTrainingAdaptor):
        return 'self_training'
    return 'other'


def config_name(path: str) -> str:
    """``configs/vst/synthetic_table4_cb.py`` -> ``vst/synthetic_table4_cb``."""
    path = osp.abspath(path)
    return f'{osp.basename(osp.dirname(path))}/{osp.splitext(osp.basename(path))[0]}'


def pseudo_label_hook_cfg(cfg: Config) -> Optional[dict]:
    """The arguments of the config's ``PseudoLabelHook`` (None for configs without one)."""
    for hook in cfg.get('custom_hooks') or []:
        if isinstance(hook, dict) and hook.get('type') == 'PseudoLabelHook':
            return {k: copy.deepcopy(v) for k, v in hook.items() if k != 'type'}
    return None


@dataclasses.dataclass
class SpeedSettings:
    """How much is measured (the flags of ``tools/analysis/benchmark_speed.py``)."""
    iters: int = 10  # timed steps per config and repeat
    warmup: int = 3  # untimed steps per config first
    repeats: int = 5  # round-robin passes over the configs (medians are reported)
    round_repeats: int = 3  # repeats of each pseudo-label round and of its plain inference
    eval_repeats: int = 5  # repeats of the evaluation
    round_clips: Optional[int] = None  # time rounds on the first N target clips (None: all)
    batch_size: Optional[int] = None  # clips per domain (None: the first config's)
    seed: int = 0
    weights: str = 'auto'  # 'auto': load a config's load_from when the file exists; 'random'
    no_rounds: bool = False  # one untimed round only (it writes the labels batches read)
    no_eval: bool = False
    with_p_miou: bool = False  # rounds also compute P-mIoU when the hook has a label_dataset
    profile: Optional[str] = None  # directory for torch.profiler tables


class SpeedEntry:
    """One config under test: its adaptor (built by the caller, in train mode), optimizer
    wrapper(s) built as the Runner builds them, its batch, round and results."""

    def __init__(self, name: str, path: str, cfg: Config, model: torch.nn.Module, weights: str):
        self.name, self.path, self.cfg, self.model = name, path, cfg, model
        self.optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        self.family = family(model)
        self.hook = pseudo_label_hook_cfg(cfg)
        self.batch: Optional[dict] = None
        self.dataset = None
        self.pseudo_label_dir: Optional[str] = None  # the round its training batch reads
        self.labelled_clips: Set[str] = set()  # the clips that round labelled
        self.round_setup = None  # a rounds.RoundSetup for configs with a PseudoLabelHook
        self.result: Dict[str, Any] = dict(config=path, adaptor=type(model).__name__,
                                           family=self.family, weights=weights)

    @property
    def file_stem(self) -> str:
        """``vst/synthetic`` -> ``vst__synthetic``: its name in scratch and profile files."""
        return self.name.replace('/', '__')
