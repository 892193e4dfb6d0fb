"""Tests of ``webpush_iac.commands``, one file per module."""
