"""Tests of ``webpush_iac.plan``, one file per module."""
