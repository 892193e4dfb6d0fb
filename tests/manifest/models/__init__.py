"""Tests of ``webpush_iac.manifest.models``, one file per module."""
