"""uda_toolbox: unsupervised domain adaptation for image and video semantic segmentation."""
__version__ = '0.1.0'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers something, and mmseg's too.

    Also sets up checkpoint loading: the toolbox's narrow ``weights_only`` allow-list and the
    checked loader of local files, so every ``load_from`` / resume / ``load_checkpoint`` in this
    process loads checkpoints as untrusted input (``uda_toolbox.utils.checkpoint``).

    Args:
        init_default_scope: make ``uda_toolbox`` the current default scope,
            as mmseg's ``register_all_modules`` does for ``mmseg``.
    """
    import datetime

    from mmengine.registry import DefaultScope
    from mmseg.utils import register_all_modules as register_mmseg

    register_mmseg(init_default_scope=False)
    import uda_toolbox.adaptors  # noqa: F401
    import uda_toolbox.datasets  # noqa: F401
    import uda_toolbox.engine  # noqa: F401
    import uda_toolbox.evaluation  # noqa: F401
    import uda_toolbox.models  # noqa: F401
    from uda_toolbox.utils.checkpoint import setup_checkpoint_loading

    setup_checkpoint_loading()

    if init_default_scope:
        never_created = (DefaultScope.get_current_instance() is None
                         or not DefaultScope.check_instance_created('uda_toolbox'))
        if never_created:
            DefaultScope.get_instance('uda_toolbox', scope_name='uda_toolbox')
            return
        current = DefaultScope.get_current_instance()
        if current.scope_name != 'uda_toolbox':
            # A second scope instance, named uniquely, as mmseg does.
            stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
            DefaultScope.get_instance(f'uda_toolbox-{stamp}', scope_name='uda_toolbox')
