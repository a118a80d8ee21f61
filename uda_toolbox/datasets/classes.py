"""The 15 classes shared by VIPER and Cityscapes-VPS in the seed paper (Sec. 5.1), in its table order."""

VIDEO_UDA_CLASSES = ('road', 'sidewalk', 'building', 'fence', 'pole', 'traffic light',
                     'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'car',
                     'truck', 'bus', 'motorbike')

# Cityscapes colours of the same classes (RGB), so predictions look familiar.
VIDEO_UDA_PALETTE = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [190, 153, 153],
                     [153, 153, 153], [250, 170, 30], [220, 220, 0], [107, 142, 35],
                     [152, 251, 152], [70, 130, 180], [220, 20, 60], [0, 0, 142],
                     [0, 0, 70], [0, 60, 100], [0, 0, 230]]

IGNORE_INDEX = 255

VIDEO_UDA_METAINFO = dict(classes=VIDEO_UDA_CLASSES, palette=VIDEO_UDA_PALETTE)
