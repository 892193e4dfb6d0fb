"""Tests of ``webpush_iac.render``, one file per module."""
