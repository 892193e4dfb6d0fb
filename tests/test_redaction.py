"""Secrets are taken out of foreign text as whole occurrences, never as fragments of words."""

from __future__ import annotations

import string

import pytest

from webpush_iac.redaction import REDACTED, redact, secret_pattern

# The README's one-letter secret, a short one, a typical 8-character one and a 40-character one.
SECRETS = ["s", "ab", "k3y9Zq7W", "0f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccdd"]


@pytest.mark.parametrize("secret", SECRETS, ids=len)
def test_redaction_replaces_whole_occurrences_only(secret: str) -> None:
    pattern = secret_pattern([secret])
    inside = f"x{secret}y"  # the secret as part of a longer word: not the secret
    text = f"key {secret}: bad; {inside} stays; ({secret}) and '{secret}'"
    assert redact(text, pattern) == f"key ***: bad; {inside} stays; (***) and '***'"


@pytest.mark.parametrize("secret", SECRETS, ids=len)
def test_redaction_never_touches_words_that_contain_the_secret(secret: str) -> None:
    pattern = secret_pattern([secret])
    words = [f"{secret}{secret}", f"{secret}_id", f"pre{secret}", f"{secret}9"]
    message = "registration id 1a0018970a5c6c1 is not registered; " + " ".join(words)
    assert redact(message, pattern) == message


def test_one_letter_secret_leaves_an_ordinary_message_readable() -> None:
    message = "registration id 'r1' is not registered"
    assert redact(message, secret_pattern(["s"])) == message
    assert redact("the master secret s was refused", secret_pattern(["s"])) == (
        f"the master secret {REDACTED} was refused"
    )


def test_secret_with_punctuation_at_its_edge_is_matched_beside_a_word() -> None:
    pattern = secret_pattern(["+pw="])
    assert redact("auth a+pw=b", pattern) == "auth a***b"


def test_longer_secret_wins_over_one_it_contains() -> None:
    pattern = secret_pattern(["abc", "abc:def"])
    assert redact("token abc:def here, abc there", pattern) == "token *** here, *** there"


def test_every_printable_secret_is_escaped_not_read_as_a_pattern() -> None:
    secret = string.punctuation
    assert redact(f"a {secret} b", secret_pattern([secret])) == "a *** b"


def test_nothing_to_redact_leaves_text_alone() -> None:
    assert secret_pattern(["", ""]) is None
    assert redact("anything", None) == "anything"


@pytest.mark.parametrize("word", ["id(s)", "device's", "re-s", "e.s.", "s-curve", "[x]s", "it’s"])
def test_a_secret_joined_to_a_word_is_part_of_that_word(word: str) -> None:
    assert redact(f"see {word} here", secret_pattern(["s"])) == f"see {word} here"


@pytest.mark.parametrize("text", ["(s)", "[s]", "s.", "'s'", "=s&", "s,"])
def test_a_secret_set_off_by_punctuation_is_whole(text: str) -> None:
    assert "s" not in redact(text, secret_pattern(["s"]))
