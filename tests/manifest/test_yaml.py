"""YAML with locations: positions of every key and item, user text kept, unsafe YAML refused."""

from __future__ import annotations

import pytest

from webpush_iac import manifest

YAML_TEXT = """\
base: &base {a: 1, b: two}
doc:
  <<: *base
  b: 3
  list:
    - x
    - k: 2027-01-15 09:00:00
      t: 09:30:00
      n: ~
      f: 1.5
      h: 0x1F
      y: yes
"""


@pytest.mark.parametrize("pure", [False, True], ids=["libyaml", "pure-python"])
def test_yaml_keeps_positions_and_user_text(pure: bool) -> None:
    docs, problems = manifest.parse_documents(YAML_TEXT, "f.yaml", pure=pure)
    assert problems == []
    data = docs[0].data
    assert data["doc"] == {
        "a": 1,
        "b": 3,
        "list": [
            "x",
            {"k": "2027-01-15 09:00:00", "t": "09:30:00", "n": None, "f": 1.5, "h": 31, "y": "yes"},
        ],
    }
    marks = docs[0].marks
    assert marks[("doc", "b")] == (4, 3)
    assert marks[("doc", "list", 1)] == (7, 7)
    assert marks[("doc", "list", 1, "t")] == (8, 7)
    assert marks[("doc", "a")] == (1, 14)  # merged keys point at their definition


def test_every_duplicate_key_is_reported_not_just_the_first() -> None:
    text = "a: 1\nb: 2\na: 3\nc: {d: 1, d: 2}\n"
    _, problems = manifest.parse_documents(text, "f.yaml")
    assert [str(p) for p in problems] == [
        "f.yaml:3:1: a: duplicate key (first at line 1)",
        "f.yaml:4:11: c.d: duplicate key (first at line 4)",
    ]


def test_unsupported_tags_and_complex_keys_are_problems() -> None:
    _, problems = manifest.parse_documents("a: !env SECRET\n? [x]\n: 1\n", "f.yaml")
    assert [p.message for p in problems] == [
        "unsupported YAML tag '!env'",
        "mapping keys must be plain scalars",
    ]


def test_alias_expansion_bomb_is_stopped() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        levels.append(f"a{i}: &a{i} [{refs}]")
    _, problems = manifest.parse_documents("\n".join(levels) + "\n", "bomb.yaml")
    assert [p.message for p in problems] == ["document is too large or too deeply nested"]


def test_empty_documents_are_skipped_and_indexes_kept() -> None:
    docs, problems = manifest.parse_documents("---\na: 1\n---\n---\nb: 2\n", "f.yaml")
    assert problems == []
    assert [(d.index, d.data) for d in docs] == [(0, {"a": 1}), (2, {"b": 2})]


def test_dump_yaml_quotes_what_yaml_1_1_readers_would_misread() -> None:
    text = manifest.dump_yaml({"time": "09:00:00", "flag": "no", "day": "01", "word": "hello"})
    assert text == 'time: "09:00:00"\nflag: "no"\nday: "01"\nword: hello\n'
