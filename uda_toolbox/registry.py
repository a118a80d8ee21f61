"""Registries of uda_toolbox.

Every registry is a child of mmsegmentation's, so a config with
``default_scope='uda_toolbox'`` finds our modules first and falls back to
mmseg's and mmengine's (``EncoderDecoder``, ``SegLocalVisualizer``, ...).
``locations`` make the registries import the modules that fill them (ours and
mmseg's, since a parent registry does not import its own locations when a child
searches it) on the first ``build``, so a config never names a module path.
"""
from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

SCOPE = 'uda_toolbox'

# Segmentors, backbones, heads, losses, discriminators, data preprocessors and adaptors.
MODELS = Registry('model', parent=MMSEG_MODELS, scope=SCOPE,
                  locations=['mmseg.models', 'uda_toolbox.models', 'uda_toolbox.adaptors'])
DATASETS = Registry('dataset', parent=MMSEG_DATASETS, scope=SCOPE,
                    locations=['mmseg.datasets', 'uda_toolbox.datasets'])
TRANSFORMS = Registry('transform', parent=MMSEG_TRANSFORMS, scope=SCOPE,
                      locations=['mmseg.datasets.transforms', 'uda_toolbox.datasets'])
METRICS = Registry('metric', parent=MMSEG_METRICS, scope=SCOPE,
                   locations=['mmseg.evaluation', 'uda_toolbox.evaluation'])
HOOKS = Registry('hook', parent=MMSEG_HOOKS, scope=SCOPE,
                 locations=['mmseg.engine.hooks', 'uda_toolbox.engine', 'uda_toolbox.evaluation'])
# Nothing of ours is registered in these two: the runner builds mmengine's loops and samplers
# (IterBasedTrainLoop, InfiniteSampler, ...). The nodes give the 'uda_toolbox' scope a place in
# their trees; without them mmengine warns "Failed to search registry with scope 'uda_toolbox'"
# on every run (checked by tests/test_registry.py).
DATA_SAMPLERS = Registry('data sampler', parent=MMSEG_DATA_SAMPLERS, scope=SCOPE)
LOOPS = Registry('loop', parent=MMSEG_LOOPS, scope=SCOPE)
OPTIMIZERS = Registry('optimizer', parent=MMSEG_OPTIMIZERS, scope=SCOPE)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS, scope=SCOPE)
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor',
                                      parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE,
                                      locations=['mmseg.engine.optimizers', 'uda_toolbox.engine'])
# The runner finds model wrappers by name in mmengine's root registry, where
# AdaptorDistributedDataParallel is registered; this node only gives the 'uda_toolbox' scope a
# place in the tree (without it mmengine warns on every distributed run).
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMSEG_MODEL_WRAPPERS, scope=SCOPE,
                          locations=['uda_toolbox.engine'])
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMSEG_PARAM_SCHEDULERS, scope=SCOPE)
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMSEG_WEIGHT_INITIALIZERS, scope=SCOPE)
VISUALIZERS = Registry('visualizer', parent=MMSEG_VISUALIZERS, scope=SCOPE,
                       locations=['mmseg.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMSEG_VISBACKENDS, scope=SCOPE)
LOG_PROCESSORS = Registry('log_processor', parent=MMSEG_LOG_PROCESSORS, scope=SCOPE)

# Our own root registries (no mmseg counterpart): optical flow estimators, pseudo-label threshold
# policies (offline rounds) and pseudo-label filters (online teachers).
FLOW_ESTIMATORS = Registry('flow estimator', scope=SCOPE, locations=['uda_toolbox.flow'])
PSEUDO_LABEL_POLICIES = Registry('pseudo-label policy', scope=SCOPE,
                                 locations=['uda_toolbox.pseudo_labels'])
PSEUDO_LABEL_FILTERS = Registry('pseudo-label filter', scope=SCOPE,
                                locations=['uda_toolbox.pseudo_labels'])
