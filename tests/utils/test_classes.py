"""Class colours come from mmseg's CityscapesDataset.METAINFO by name (no copied palette)."""
import pytest

from uda_toolbox.utils.classes import (
    CITYSCAPES_PALETTE,
    SYNTHIA_CITYSCAPES_SEQ_PALETTE,
    VIDEO_UDA_CLASSES,
    VIDEO_UDA_PALETTE,
    VIPER_CITYSCAPES_SEQ_PALETTE,
    cityscapes_palette,
)


def test_palettes_are_the_cityscapes_colours_of_each_class():
    assert len(CITYSCAPES_PALETTE) == 19
    # cityscapesScripts helpers/labels.py: road, fence, sky, motorcycle (Shin et al.'s motorbike).
    assert VIDEO_UDA_PALETTE[0] == [128, 64, 128] and VIDEO_UDA_PALETTE[3] == [190, 153, 153]
    assert VIDEO_UDA_PALETTE[9] == [70, 130, 180]
    assert VIDEO_UDA_CLASSES[14] == 'motorbike' and VIDEO_UDA_PALETTE[14] == [0, 0, 230]
    assert VIPER_CITYSCAPES_SEQ_PALETTE[-1] == [119, 11, 32]  # bicycle
    assert SYNTHIA_CITYSCAPES_SEQ_PALETTE[10] == [255, 0, 0]  # rider
    assert len({tuple(c) for c in VIDEO_UDA_PALETTE}) == 15  # distinct


def test_a_class_cityscapes_has_not_is_an_error():
    with pytest.raises(ValueError, match=r"\['lane marking'\] are not Cityscapes classes"):
        cityscapes_palette(['road', 'lane marking'])
