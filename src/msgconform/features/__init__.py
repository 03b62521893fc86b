"""The feature map: which optional features of the Messages API an endpoint supports, ignores,
rejects or breaks on, beside what its profile declares.

The features are data (suites/features/features.yaml, one case per feature and mode); this package
sends them (`probe`), classes the answers (`classify`, `signals`), compares with the profile
(`declared`) and judges them as the check `feature_as_declared` (`check`)."""

from msgconform.features import check as check  # registers feature_as_declared
from msgconform.features.probe import feature_probe as feature_probe

__all__ = ["check", "feature_probe"]
