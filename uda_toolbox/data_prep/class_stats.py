"""Per-class pixel counts of every label file of a source set, for rare-class sampling (DAFormer).

Computed once by ``tools/data/class_frequencies.py`` and read at training time by
``uda_toolbox.datasets.rare_class_sampling`` (file format below). Counts are taken on the label
files as stored (original resolution, after the dataset's raw-id -> train-id map), as DAFormer's
``tools/convert_datasets/gta.py`` counts its ``sample_class_stats.json``.

File (JSON, written atomically)::

    {"version": "uda_toolbox.class_stats/1", "num_classes": 15,
     "files": {"<label path relative to the data root>": {"<class id>": <pixels>, ...}, ...}}
"""
import json
import os.path as osp
from multiprocessing import Pool
from typing import Dict, Iterable, Optional, Tuple

import numpy as np

from uda_toolbox.datasets.rare_class_sampling import CLASS_STATS_VERSION
from uda_toolbox.utils.classes import apply_label_map, check_label_values
from uda_toolbox.utils.io import atomic_write, load_label


def label_file_counts(path: str, num_classes: int, label_map: Optional[dict] = None
                      ) -> Dict[str, int]:
    """{class id (str): pixels} of one label file (classes with pixels; 255 not counted)."""
    label = load_label(path)
    if label_map is not None:
        label = apply_label_map(label, label_map, path)
    check_label_values(label, num_classes, path, mapped=label_map is not None)
    counts = np.bincount(label.ravel().astype(np.int64), minlength=256)[:num_classes]
    return {str(c): int(n) for c, n in enumerate(counts) if n > 0}


def _count(job: Tuple[str, int, Optional[dict]]) -> Dict[str, int]:
    return label_file_counts(*job)


def dataset_label_files(dataset) -> Tuple[str, Dict[str, Optional[dict]]]:
    """(data root, {label path: label map}) over every item of a clip dataset, each file once."""
    root = getattr(dataset, 'data_root', None) or ''
    files: Dict[str, Optional[dict]] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        for path in info['seg_map_paths']:
            if path is not None:
                files.setdefault(path, info.get('label_map'))
    return root, files


def compute_class_stats(dataset, workers: int = 1) -> dict:
    """The class statistics of a source clip dataset (a ``ClipDataset``), keyed by label path
    relative to its ``data_root``."""
    root, files = dataset_label_files(dataset)
    num_classes = len(dataset.metainfo['classes'])
    jobs: Iterable = [(path, num_classes, label_map) for path, label_map in files.items()]
    if workers > 1:
        with Pool(workers) as pool:
            counts = pool.map(_count, jobs, chunksize=16)
    else:
        counts = [_count(job) for job in jobs]
    return dict(version=CLASS_STATS_VERSION, num_classes=num_classes,
                files={osp.relpath(path, root): c for path, c in zip(files, counts)})


def write_class_stats(stats: dict, path: str) -> None:
    """Write the statistics as JSON through a temporary file (a killed run leaves no half file)."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(stats, indent=0, sort_keys=True))
