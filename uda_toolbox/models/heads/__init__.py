from .daformer_head import DAFormerHead
from .deeplabv2_head import DeepLabV2Head
from .features import FeatureClassifier, classifier_modules, decode_with_features, feature_channels
from .projection import ProjectionHead

__all__ = ['DAFormerHead', 'DeepLabV2Head', 'FeatureClassifier', 'ProjectionHead',
           'classifier_modules', 'decode_with_features', 'feature_channels']
