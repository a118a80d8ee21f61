"""ClassMix, DACS's colour jitter and blur, and MIC's block masks on hand-made tensors."""
import math

import pytest
import torch

from uda_toolbox.models.augmentation import (
    adjust_colour,
    block_mask,
    blur_kernel_size,
    class_mix_masks,
    gaussian_blur,
    hsv_to_rgb,
    mix,
    rgb_to_hsv,
    strong_augment,
)

IGNORE = 255


def _labels():
    """Image 0 holds classes {0, 1, 2, 3} (one quadrant each), image 1 classes {4, 255}."""
    first = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    second = torch.full((4, 4), 4)
    second[:, :1] = IGNORE
    return torch.stack([first, second])


def test_class_mix_pastes_half_the_classes_of_each_image():
    labels = _labels()
    for seed in range(20):
        masks = class_mix_masks(labels, generator=torch.Generator().manual_seed(seed))
        pasted = labels[0][masks[0]].unique().tolist()
        assert len(pasted) == 2  # ceil(4 / 2) of the four classes
        # Whole classes are pasted: a class's pixels are all in the mask or all out.
        for cls in range(4):
            assert masks[0][labels[0] == cls].all() or not masks[0][labels[0] == cls].any()
        # Image 1: {4, 255} -> one class; the ignore label is a candidate, as in DACS/DAFormer.
        assert len(labels[1][masks[1]].unique()) == 1
    chosen = set()
    for seed in range(40):
        mask = class_mix_masks(labels, generator=torch.Generator().manual_seed(seed))[1]
        chosen.add(int(labels[1][mask][0]))
    assert chosen == {4, IGNORE}


def test_class_mix_odd_count_rounds_up_and_batch_pool():
    labels = torch.tensor([[[0, 1, 2]]])
    masks = class_mix_masks(labels, generator=torch.Generator().manual_seed(0))
    assert int(masks.sum()) == 2  # (3 + 3 % 2) / 2 = 2 classes of 3
    # DAFormer's code: the classes of the whole batch; image 1 ({4, 255}) can get classes of image
    # 0, which select none of its pixels.
    batch = _labels()
    empty = [not class_mix_masks(batch, 'batch', torch.Generator().manual_seed(s))[1].any()
             for s in range(30)]
    assert any(empty)
    with pytest.raises(ValueError, match='class_pool'):
        class_mix_masks(batch, 'clip')


def test_mix_images_labels_and_weights_by_hand():
    mask = torch.tensor([[[True, False], [False, True]]])
    source = torch.full((1, 3, 2, 2), 1.0)
    target = torch.full((1, 3, 2, 2), -1.0)
    mixed = mix(mask, source, target)
    assert mixed[0, :, 0, 0].tolist() == [1.0] * 3 and mixed[0, :, 0, 1].tolist() == [-1.0] * 3
    labels = mix(mask, torch.tensor([[[7, 7], [7, 7]]]), torch.tensor([[[2, 3], [4, 5]]]))
    assert labels.tolist() == [[[7, 3], [4, 7]]]
    weights = mix(mask, torch.ones(1, 2, 2), torch.full((1, 2, 2), 0.25))
    assert weights.tolist() == [[[1.0, 0.25], [0.25, 1.0]]]


def test_blur_kernel_size_as_dacs():
    # floor(ceil(0.1 s) - 0.5 + ceil(0.1 s) % 2): 512 -> 52 even -> 51; 64 -> 7; 720 -> 71.
    assert [blur_kernel_size(s) for s in (512, 64, 128, 720, 1024)] == [51, 7, 13, 71, 103]


def test_gaussian_blur_weights_and_constant_image():
    impulse = torch.zeros(1, 5, 5)
    impulse[0, 2, 2] = 1.0
    out = gaussian_blur(impulse, sigma=1.0, kernel_size=(3, 3))
    g = torch.tensor([math.exp(-0.5), 1.0, math.exp(-0.5)])
    g = g / g.sum()
    assert torch.allclose(out[0, 1:4, 1:4], g[:, None] * g[None, :], atol=1e-6)
    flat = torch.full((3, 8, 8), 0.3)
    assert torch.allclose(gaussian_blur(flat, 0.7, (7, 7)), flat, atol=1e-6)


def test_hsv_round_trip_and_known_values():
    colours = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0.5]]).T
    hsv = rgb_to_hsv(colours.view(3, 4, 1))
    assert torch.allclose(hsv[0, :3, 0], torch.tensor([0, 2 * math.pi / 3, 4 * math.pi / 3]))
    assert hsv[1, :, 0].tolist() == pytest.approx([1, 1, 1, 0], abs=1e-6)
    image = torch.rand(3, 6, 7, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(hsv_to_rgb(rgb_to_hsv(image)), image, atol=1e-5)


def test_colour_adjustments_by_hand():
    image = torch.tensor([0.2, 0.5, 0.9]).view(3, 1, 1)
    identity = adjust_colour(image, 1.0, 1.0, 1.0, 0.0, [0, 1, 2, 3])
    assert torch.allclose(identity, image, atol=1e-6)
    brighter = adjust_colour(image, 1.2, 1.0, 1.0, 0.0, [0])  # kornia 0.5: adds factor - 1
    assert torch.allclose(brighter.flatten(), torch.tensor([0.4, 0.7, 1.0]))
    halved = adjust_colour(image, 1.0, 0.5, 1.0, 0.0, [1])  # multiplies
    assert torch.allclose(halved.flatten(), torch.tensor([0.1, 0.25, 0.45]))
    grey = adjust_colour(image, 1.0, 1.0, 0.0, 0.0, [2])  # saturation 0 -> value everywhere
    assert torch.allclose(grey.flatten(), torch.tensor([0.9, 0.9, 0.9]))
    red = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    green = adjust_colour(red, 1.0, 1.0, 1.0, 1 / 3, [3])  # a third of a turn
    assert torch.allclose(green.flatten(), torch.tensor([0.0, 1.0, 0.0]), atol=1e-5)


def test_strong_augment_switches():
    mean, std = torch.tensor([120.0, 110.0, 100.0]), torch.tensor([60.0, 55.0, 50.0])
    inputs = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    off = strong_augment(inputs, mean, std, jitter_probability=0.0, blur_probability=0.0)
    assert torch.equal(off, inputs)
    blur_only = strong_augment(inputs, mean, std, jitter_probability=0.0, blur_probability=1.0,
                               sigma_range=(0.5, 0.5))
    expected = torch.stack([gaussian_blur(x, 0.5, (1, 1)) for x in inputs])  # 16 px -> kernel 1
    assert torch.allclose(blur_only, expected)
    jittered = strong_augment(inputs, mean, std, jitter_probability=1.0, blur_probability=0.0,
                              generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(jittered, inputs)
    # One decision per batch: with probability 0.8 of jittering, a batch is all or nothing.
    changed = (jittered - inputs).flatten(1).abs().amax(1) > 1e-4
    assert changed.all()


def test_block_mask_block_size_and_fraction():
    mask = block_mask(400, 64, 64, block_size=8, mask_ratio=0.7,
                      generator=torch.Generator().manual_seed(0))
    assert mask.shape == (400, 1, 64, 64)
    blocks = mask.view(400, 8, 8, 8, 8)  # (N, grid y, 8 px, grid x, 8 px)
    assert (blocks == blocks[:, :, :1, :, :1]).all()  # constant inside every 8 x 8 block
    assert abs(float(1 - mask.mean()) - 0.7) < 0.01  # 70 % withheld
    # round(H / b) blocks per side, nearest upsampling: 100 / 64 -> 2 blocks of 50 px.
    uneven = block_mask(1, 100, 64, 64, 0.5, torch.Generator().manual_seed(3))
    assert (uneven[0, 0, :50] == uneven[0, 0, :1]).all() and (uneven[0, 0, 50:] == uneven[0, 0, 50:51]).all()
