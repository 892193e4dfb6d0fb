"""Tests of ``webpush_iac.apply``, one file per module."""
