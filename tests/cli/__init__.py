"""Tests of ``webpush_iac.cli``, one file per module."""
