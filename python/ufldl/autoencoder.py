"""Compatibility: ``SparseAutoencoder`` now lives in :mod:`ufldl.estimators.autoencoder`; nothing inside the
package imports this module."""

from ufldl.estimators.autoencoder import AutoencoderCollapseWarning, SparseAutoencoder  # noqa: F401

__all__ = ["SparseAutoencoder", "AutoencoderCollapseWarning"]
