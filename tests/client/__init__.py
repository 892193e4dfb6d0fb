"""Tests of ``webpush_iac.client``, one file per module."""
