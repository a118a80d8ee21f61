"""mmengine's CheckpointHook with the order of a careful save: write, verify, point, then delete.

mmengine's ``CheckpointHook`` deletes the oldest checkpoint (``max_keep_ckpts``) *before* it
writes the new one and writes ``last_checkpoint`` in place: with ``max_keep_ckpts=1``, a full
disk during the save leaves no checkpoint at all, and a kill can leave the pointer empty. This
hook writes the new checkpoint (atomically, through the ``atomic_local`` backend), checks it on
disk (complete, every stored checksum holds: ``uda_toolbox.utils.checkpoint``), replaces
``last_checkpoint`` atomically, and only then deletes checkpoints beyond ``max_keep_ckpts``.
It also removes, when training starts, the temporary files of checkpoint writes that a killed
job left behind (only the toolbox's own, recognised by their exact name pattern).

``uda_toolbox.apis`` gives every run this hook in place of mmengine's ``CheckpointHook``
(same arguments).
"""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from uda_toolbox.registry import HOOKS
from uda_toolbox.utils.checkpoint import CheckpointError, verify_checkpoint_file
from uda_toolbox.utils.io import atomic_write, remove_stale_temp_files

#: Final names whose temporary files (``.<name>.<random>.tmp<suffix>``) the hook cleans up.
CHECKPOINT_NAMES = r'(?:iter|epoch)_\d+\.pth|best_[\w.\-]+\.pth|last_checkpoint'


@HOOKS.register_module()
class VerifiedCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that deletes old checkpoints only after the new one verifies on disk.

    Same arguments as mmengine's ``CheckpointHook``. The verification reads the new file back
    once (local files only; other storage backends are left as mmengine handles them).
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and osp.isdir(self.out_dir):
            for path in remove_stale_temp_files(self.out_dir, CHECKPOINT_NAMES) + \
                    remove_stale_temp_files(runner.work_dir, 'last_checkpoint'):
                runner.logger.info(f'Removed {path}: the temporary file of a checkpoint write '
                                   'that was interrupted.')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            # Which checkpoints will go, decided as mmengine does (the saved list includes the new
            # step), but deleted only once the new one is safely on disk.
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args, save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch,
            backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        if osp.isfile(self.last_ckpt):  # a local file: check what really reached the disk
            try:
                verify_checkpoint_file(self.last_ckpt, key='checkpoint')
            except CheckpointError as exc:
                os.remove(self.last_ckpt)  # never left behind as the newest checkpoint
                raise CheckpointError(
                    f'{exc} The disk may be full or failing: that file was removed and the previous '
                    'checkpoints were kept '
                    '(resume from them with --resume once it is fixed).') from None
        with atomic_write(osp.join(runner.work_dir, 'last_checkpoint')) as tmp:
            tmp.write_text(self.last_ckpt)
        for old_step in outdated:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are directories
                self.file_backend.rmtree(path)
