"""Compatibility: ``StackedAutoencoder`` now lives in :mod:`ufldl.estimators.stacked`; nothing inside the
package imports this module."""

from ufldl.estimators.stacked import FINETUNE_DECAY, StackedAutoencoder  # noqa: F401

__all__ = ["StackedAutoencoder"]
