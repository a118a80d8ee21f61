"""The clip class-mix of DA-STC (uda_toolbox/models/clip_mix.py) on hand-made 2 x 3 clips: every
pixel of every frame, label and flow of both mixed clips is computed by hand, each direction with
its own value so that a wrong paste shows which direction went wrong."""
import pytest
import torch

from uda_toolbox.models.clip_mix import class_mask, mix_clip, paste, paste_instances, quad_mix

H, W = 2, 3


def clip(value):
    """A 1-sample clip (t-1, t) whose frames (1 channel), labels and flow all hold ``value``."""
    return dict(frames=torch.full((1, 2, 1, H, W), float(value)),
                labels=torch.full((1, 2, H, W), value, dtype=torch.long),
                flows=torch.full((1, 1, 2, H, W), float(value)))


def masks(*frames):
    """(1, T, H, W) bool from lists of (row, col) per frame."""
    out = torch.zeros(1, len(frames), H, W, dtype=torch.bool)
    for k, pixels in enumerate(frames):
        for r, c in pixels:
            out[0, k, r, c] = True
    return out


SOURCE, TARGET, PREV_SOURCE, PREV_TARGET, INSTANCE, INSTANCE_CLASS = 1, 2, 3, 4, 5, 7
# Previous source classes on (0, 0) in t-1 and (0, 0), (0, 1) in t; previous target classes on
# (1, 2) in t-1 and (1, 1), (1, 2) in t; one long-tail instance (class 7) on (1, 0) and (0, 1).
SOURCE_MASKS = masks([(0, 0)], [(0, 0), (0, 1)])
TARGET_MASKS = masks([(1, 2)], [(1, 1), (1, 2)])


def instance():
    frames = torch.full((1, 1, 1, H, W), float(INSTANCE))
    labels = torch.tensor([[[[0, INSTANCE_CLASS, 0], [INSTANCE_CLASS, 0, 0]]]])
    return frames, labels, torch.tensor([[INSTANCE_CLASS]])


def expected(background, instance_label):
    """Hand-computed frames t-1 and t of a mixed clip: background, then S (3), long tail, T (4)."""
    b, s, i, t = background, PREV_SOURCE, instance_label, PREV_TARGET
    return torch.tensor([[[s, i, b], [i, b, t]],     # t-1: S at (0,0); LT (0,1),(1,0); T (1,2)
                         [[s, i, b], [i, t, t]]])    # t: S (0,0),(0,1) then LT over (0,1); T (1,1),(1,2)


@pytest.mark.parametrize('flow_mask_frame, flow', [
    ('previous', [[PREV_SOURCE, 0, 0], [0, 0, PREV_TARGET]]),  # the code: masks of frame t-1
    ('current', [[PREV_SOURCE, PREV_SOURCE, 0], [0, PREV_TARGET, PREV_TARGET]]),
])
def test_quad_mix_gives_the_hand_computed_clips_in_all_four_directions(flow_mask_frame, flow):
    s_mix, t_mix, count = quad_mix(clip(SOURCE), clip(TARGET), clip(PREV_SOURCE), clip(PREV_TARGET),
                                   SOURCE_MASKS, TARGET_MASKS, instance(),
                                   flow_mask_frame=flow_mask_frame)
    # S->S and T->S on the source background; S->T and T->T on the target background.
    for mixed, background in ((s_mix, SOURCE), (t_mix, TARGET)):
        assert torch.equal(mixed['frames'][0, :, 0], expected(background, INSTANCE).float())
        assert torch.equal(mixed['labels'][0], expected(background, INSTANCE_CLASS))
        # The flow t -> t-1 is pasted with one frame's masks and never by the long-tail instance.
        want = torch.tensor(flow).float()
        want[want == 0] = background
        assert torch.equal(mixed['flows'][0, 0, 0], want) and torch.equal(mixed['flows'][0, 0, 1], want)
    assert torch.equal(count[0], torch.tensor([[0, 1, 0], [1, 0, 0]]))


def test_quad_mix_without_instances_and_with_a_blend():
    """lambda < 1 blends the pasted source frames (labels stay hard); no instances: no long tail."""
    s_mix, _, count = quad_mix(clip(SOURCE), clip(TARGET), clip(PREV_SOURCE), clip(PREV_TARGET),
                               SOURCE_MASKS, TARGET_MASKS, None, image_weight=0.25)
    blend = 0.25 * PREV_SOURCE + 0.75 * SOURCE
    assert torch.equal(s_mix['frames'][0, 1, 0],
                       torch.tensor([[blend, blend, SOURCE], [SOURCE, PREV_TARGET, PREV_TARGET]]))
    assert torch.equal(s_mix['labels'][0, 1], torch.tensor([[3, 3, 1], [1, 4, 4]]))
    assert count.sum() == 0


def test_instances_overlap_later_wins_and_the_count_is_a_sum():
    frames = torch.stack([torch.full((1, H, W), 5.0), torch.full((1, H, W), 6.0)])[None]
    labels = torch.tensor([[[[7, 7, 0], [0, 0, 0]], [[0, 8, 8], [0, 0, 0]]]])
    mixed, count = paste_instances(clip(SOURCE), frames, labels, torch.tensor([[7, 8]]))
    assert torch.equal(mixed['frames'][0, 0, 0], torch.tensor([[5.0, 6.0, 6.0], [1.0, 1.0, 1.0]]))
    assert torch.equal(mixed['labels'][0, 1], torch.tensor([[7, 8, 8], [1, 1, 1]]))
    assert torch.equal(count[0], torch.tensor([[1, 2, 1], [0, 0, 0]]))
    # a negative class pastes nothing
    _, none = paste_instances(clip(SOURCE), frames, labels, torch.tensor([[-1, -1]]))
    assert none.sum() == 0


def test_class_mask_paste_and_checks():
    labels = torch.tensor([[0, 255, 3], [3, 1, 2]])
    assert torch.equal(class_mask(labels, torch.tensor([3, 255])),
                       torch.tensor([[False, True, True], [True, False, False]]))
    assert not class_mask(labels, torch.tensor([])).any()
    soft = paste(torch.ones(3, 1, 2), torch.zeros(3, 1, 2), torch.tensor([[0.5, 1.0]]))
    assert torch.equal(soft, torch.tensor([[[0.5, 1.0]]] * 3))
    with pytest.raises(TypeError, match='bool'):
        mix_clip(clip(1), clip(2), SOURCE_MASKS.float())
    with pytest.raises(ValueError, match='flow_mask_frame'):
        mix_clip(clip(1), clip(2), SOURCE_MASKS, flow_mask_frame='next')
