"""Voice packs (App Push push-to-speech, docs/emulator.md "App Push product"): upload, list, get, delete.

The upload is ``multipart/form-data`` with ``language`` and ``file`` (a zip of mp3 files); the
app pipeline parses the form before the handler runs (``Call.form``). The ``file_url`` carries
the zip's hash, so a changed pack gets a new URL, as a CDN-backed store would give.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any, Final

from webpush_iac.emulator.core import Call
from webpush_iac.emulator.protocol import (
    EMPTY,
    PUSH_BAD_TYPE_OR_LENGTH,
    PUSH_INVALID_PARAMETER,
    PUSH_MISSING_PARAMETER,
    Reply,
    _ApiFailure,
)

LANGUAGES: Final = ("en", "zh-Hans", "zh-Hant")  # DOC* / SDK
URL_BASE: Final = "https://voices.emulator.invalid"  # .invalid: never resolvable (RFC 2606)


def _language(value: Any) -> str:
    if value not in LANGUAGES:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "language must be en, zh-Hans or zh-Hant")
    return str(value)


def _check_zip(data: bytes) -> None:
    """DOC*/SDK: the pack is a zip of mp3 files. GUESS: at least one, nothing else inside."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "file must be a zip archive") from None
    if not names or not all(name.lower().endswith(".mp3") for name in names):
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, "the zip must hold only .mp3 files")


def upload_voice(call: Call) -> Reply:
    """``POST /v4/voices`` (multipart) → ``{"language", "file_url"}``; replaces a pack."""
    form = call.form
    if form is None:
        raise _ApiFailure(400, PUSH_BAD_TYPE_OR_LENGTH, "the body must be multipart/form-data")
    extra = sorted(set(form) - {"language", "file"})
    if extra:
        raise _ApiFailure(400, PUSH_INVALID_PARAMETER, f"unexpected form field {extra[0]!r}")
    if "language" not in form or "file" not in form:
        raise _ApiFailure(400, PUSH_MISSING_PARAMETER, "language and file are required")
    language = _language(form["language"])
    upload = form["file"]
    if not isinstance(upload, tuple):
        raise _ApiFailure(400, PUSH_BAD_TYPE_OR_LENGTH, "file must be an uploaded file")
    data: bytes = upload[1]
    _check_zip(data)
    digest = hashlib.sha256(data).hexdigest()
    url = f"{URL_BASE}/{language}/{digest[:32]}.zip"
    with call.emu.store.tx() as conn:
        conn.execute(
            "INSERT INTO voices (language, file_url, sha256, size, updated) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(language) DO UPDATE SET file_url = excluded.file_url, "
            "sha256 = excluded.sha256, size = excluded.size, updated = excluded.updated",
            (language, url, digest, len(data), call.now.timestamp()),
        )
    return Reply({"language": language, "file_url": url})


def list_voices(call: Call) -> Reply:
    """``GET /v4/voices`` → an array of ``{"language", "file_url"}`` (SDK)."""
    with call.emu.store.tx() as conn:
        rows = conn.execute("SELECT language, file_url FROM voices ORDER BY language").fetchall()
    return Reply([{"language": row[0], "file_url": row[1]} for row in rows])


def _find(call: Call, language: str) -> dict[str, str]:
    with call.emu.store.tx() as conn:
        row = conn.execute(
            "SELECT language, file_url FROM voices WHERE language = ?", (language,)
        ).fetchone()
    if row is None:
        # GUESS: an absent pack is "not found" with the invalid-parameter code.
        raise _ApiFailure(404, PUSH_INVALID_PARAMETER, f"no voice pack for {language!r}")
    return {"language": row[0], "file_url": row[1]}


def get_voice(call: Call) -> Reply:
    return Reply(_find(call, _language(call.params["language"])))


def delete_voice(call: Call) -> Reply:
    """``DELETE /v4/voices/{language}`` (SDK) or ``DELETE /v4/voices?language=en`` (DOC*)."""
    language = _language(call.params.get("language", call.query.get("language")))
    _find(call, language)
    with call.emu.store.tx() as conn:
        conn.execute("DELETE FROM voices WHERE language = ?", (language,))
    return EMPTY
