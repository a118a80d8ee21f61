"""Option dicts of a config (``model.mic``, ``rare_class_sampling`` ...) completed by defaults."""
from typing import Mapping


def with_defaults(name: str, options: Mapping, defaults: Mapping) -> dict:
    """``defaults`` updated by ``options``; a key ``defaults`` lacks is an error naming ``name``
    (the config key) and the keys it takes, so a typo never falls back silently to a default."""
    unknown = set(options) - set(defaults)
    if unknown:
        raise ValueError(f'{name} has unknown keys {sorted(unknown)}; it takes {sorted(defaults)}')
    return dict(defaults, **options)
