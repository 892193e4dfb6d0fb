"""Tests of ``webpush_iac.manifest``, one file per module."""
