"""Credentials, paths and environments every test area shares.

:data:`MASTER_SECRET` is a distinctive canary: tests assert it never shows up in output, logs,
plans, journals or exception text.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NEWS_SITE = EXAMPLES / "news_site"
QUICKSTART = EXAMPLES / "quickstart"

APP_KEY = "test-app-key"
MASTER_SECRET = "canary-secret-9f8e7d6c5b4a"  # a canary: must never appear in any output
EMULATOR_BASE_URL = "http://emulator.test"  # host name used for in-process clients

# What a CI job exports for a project that keeps the default credential variable names.
ENV = {"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
# news_site names its own credential variables, as a second project in one pipeline would.
EXAMPLE_ENV = {
    **ENV,
    "LEDGER_WEBPUSH_APP_KEY": APP_KEY,
    "LEDGER_WEBPUSH_MASTER_SECRET": MASTER_SECRET,
}
