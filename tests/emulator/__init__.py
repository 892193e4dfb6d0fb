"""Tests of ``webpush_iac.emulator``, one file per module."""
