"""Evaluation: mIoU and stuff-only video panoptic quality (VPQ^s)."""
from .metrics import (
    ClipSegMetric,
    accuracy_from_confusion,
    frame_counts,
    frame_vpq_stats,
    frames_per_window,
    iou_from_confusion,
    pq_from_counts,
    tube_pq_counts,
    vpq_from_frame_stats,
    vpq_stats_from_counts,
)
from .prediction_writer import PredictionWriterHook
from .progress import EvalProgressHook
from .tables import benchmark_table_options, benchmark_tables, format_class_table, metrics_to_tables

__all__ = [
    'ClipSegMetric', 'EvalProgressHook', 'accuracy_from_confusion', 'benchmark_table_options',
    'benchmark_tables', 'format_class_table',
    'frame_counts', 'frame_vpq_stats', 'frames_per_window', 'iou_from_confusion',
    'metrics_to_tables', 'PredictionWriterHook', 'pq_from_counts', 'tube_pq_counts', 'vpq_from_frame_stats',
    'vpq_stats_from_counts'
]
