"""Loading manifests: files, YAML with locations, the DesiredState contract the engine relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from webpush_iac import manifest
from webpush_iac.errors import ManifestError
from webpush_iac.state import DesiredState

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PROJECT = "apiVersion: webpush-iac/v1\nkind: Project\nmetadata: {name: p}\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(paths: list[Path]) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        manifest.load(paths, now=NOW)
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


@pytest.fixture
def quickstart() -> DesiredState:
    return manifest.load([QUICKSTART], now=NOW)


# --- the DesiredState contract -------------------------------------------------------------------


def test_project_settings_come_from_the_project_document(quickstart: DesiredState) -> None:
    project = quickstart.project
    assert (project.name, project.region, project.product, project.timezone) == (
        "acme_quickstart",
        "sgp",
        "web",
        "UTC",
    )
    assert (project.app_key_env, project.master_secret_env) == (
        "WEBPUSH_APP_KEY",
        "WEBPUSH_MASTER_SECRET",
    )
    assert project.vars == {"site": "https://shop.example.com"}
    assert project.source is not None
    assert project.source.file.endswith("webpush-iac.yaml")


def test_absent_project_keys_take_design_defaults(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    project = manifest.load([tmp_path], now=NOW).project
    assert (project.region, project.timezone, project.prefix, project.prune_schedules) == (
        "sgp",
        "UTC",
        "iac_",
        False,
    )
    assert (project.qps, project.concurrency) == (450.0, 32)
    assert (project.max_delete_percent, project.max_device_changes) == (30.0, 10000)
    assert project.managed_tag_globs == ()
    assert project.vars == {}


def test_single_schedule_is_the_complete_api_body(quickstart: DesiredState) -> None:
    sale = quickstart.schedules["new_year_sale_fr"]
    assert sale.live_name == "iac_new_year_sale_fr"
    assert sale.template == "sale_fr"
    assert sale.trigger == {"single": {"time": "2027-01-02 08:00:00", "zone_type": 1}}
    assert sale.push == {
        "from": "push",
        "to": {"tag": ["lang_fr"]},
        "body": {
            "platform": "web",
            "notification": {
                "web": {
                    "alert": "Jusqu'à -30 % sur toute la boutique, aujourd'hui seulement.",
                    "url": "https://shop.example.com/fr/soldes",
                    "title": "Soldes : -30 %",
                    "image": "https://shop.example.com/static/sale-banner.png",
                }
            },
            "options": {
                "time_to_live": 43200,
                "web_buttons": [
                    {
                        "id": "shop",
                        "text": "J'en profite",
                        "url": "https://shop.example.com/fr/soldes",
                    }
                ],
            },
        },
    }
    assert list(sale.api_body()) == ["name", "enabled", "trigger", "push"]


def test_periodical_trigger_is_normalised_with_defaults(tmp_path: Path) -> None:
    write(
        tmp_path,
        "m.yaml",
        PROJECT + "---\napiVersion: webpush-iac/v1\nkind: Schedule\nmetadata: {name: s}\n"
        "spec:\n  trigger:\n    periodical: {start: '2026-12-01 00:00:00', "
        "end: '2027-06-01 00:00:00', time: '09:00:00', time_unit: WEEK, point: [fri, Mon]}\n"
        "  push: {to: all, notification: {alert: a, url: 'https://e.com'}}\n",
    )
    schedule = manifest.load([tmp_path], now=NOW).schedules["s"]
    assert schedule.trigger == {
        "periodical": {
            "start": "2026-12-01 00:00:00",
            "end": "2027-06-01 00:00:00",
            "time": "09:00:00",
            "time_unit": "week",
            "frequency": 1,
            "point": ["FRI", "MON"],
            "zone_type": 1,
        }
    }
    assert schedule.trigger_kind == "periodical"


def test_languages_become_multi_language_and_schedule_options_win(
    quickstart: DesiredState,
) -> None:
    options = quickstart.schedules["weekly_digest"].push["body"]["options"]
    assert options["time_to_live"] == 3600  # schedule 3600 over template 86400
    assert options["multi_language"] == {
        "fr": {
            "title": "Votre résumé Weekly",
            "content": "Le meilleur de la semaine chez ACME, choisi pour vous.",
        }
    }


def test_intelligent_schedule_keeps_its_backup_time(quickstart: DesiredState) -> None:
    winback = quickstart.schedules["winback"]
    assert winback.trigger == {"intelligent": {"backup_time": "2027-02-01 10:00:00"}}
    assert winback.push["to"] == "all"
    assert winback.template is None


def test_extra_known_devices_become_devices_with_no_desired_tags() -> None:
    state = manifest.load([QUICKSTART], now=NOW, extra_known_devices=["0ff1ce0ff1ce001"])
    device = state.devices["0ff1ce0ff1ce001"]
    assert (device.tags, device.forbidden_tags, device.alias, device.labels) == (
        frozenset(),
        frozenset(),
        None,
        (),
    )
    assert state.devices["1a0018970a5c6c1"].tags == {"qa_team", "lang_fr", "digest_subscribers"}


def test_message_content_replaces_the_notification(tmp_path: Path) -> None:
    write(
        tmp_path,
        "m.yaml",
        PROJECT + "---\napiVersion: webpush-iac/v1\nkind: Schedule\nmetadata: {name: s}\n"
        "spec:\n  trigger: {single: {time: '2027-01-01 00:00:00', zone_type: 2}}\n"
        "  push:\n    to: {registration_id: ['1a0018970a5c6c1']}\n"
        "    message: {msg_content: refresh, extras: {k: 1}}\n"
        "    custom_args: {campaign: c1}\n    request_id: r1\n",
    )
    push = manifest.load([tmp_path], now=NOW).schedules["s"].push
    assert push == {
        "from": "push",
        "to": {"registration_id": ["1a0018970a5c6c1"]},
        "body": {"platform": "web", "message": {"msg_content": "refresh", "extras": {"k": 1}}},
        "request_id": "r1",
        "custom_args": {"campaign": "c1"},
    }


# --- files ---------------------------------------------------------------------------------------


def test_directory_search_skips_hidden_dirs_and_non_manifest_yaml(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    write(tmp_path, ".github/workflows/plan.yml", "kind: broken\n")
    write(tmp_path, "docker-compose.yml", "services: {web: {image: nginx}}\n")
    write(
        tmp_path,
        "nested/more/tag.yml",
        "apiVersion: webpush-iac/v1\nkind: Tag\nmetadata: {name: beta}\n",
    )
    result = manifest.load_report([tmp_path], now=NOW)
    assert result.counts["Tag"] == 1
    assert result.documents == 2


def test_a_named_file_is_read_even_if_it_does_not_look_like_a_manifest(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT)
    other = write(tmp_path, "compose.yml", "services: {}\n")
    assert problems_of([tmp_path / "webpush-iac.yaml", other]) == [
        "1:1: kind: is required (one of Project, Template, Schedule, Device, Tag)"
    ]


def test_a_directory_without_manifests_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "empty"], now=NOW)
    assert [p.message for p in caught.value.problems] == ["no manifest files found"]


def test_group_paths_keeps_each_project_root_separate(tmp_path: Path) -> None:
    write(tmp_path, "a/webpush-iac.yaml", PROJECT)
    write(tmp_path, "b/webpush-iac.yml", PROJECT)
    write(tmp_path, "ci/plan.yml", "jobs: {}\n")
    groups = manifest.group_paths([tmp_path / "a", tmp_path / "b", tmp_path / "ci"])
    assert groups == [[str(tmp_path / "a")], [str(tmp_path / "b")]]
    loose = write(tmp_path, "loose/s.yaml", "kind: Tag\n")
    groups = manifest.group_paths([tmp_path / "a", tmp_path / "b", loose.parent])
    assert groups[-1] == [str(loose.parent)]


def test_one_project_spread_over_several_paths_is_one_set(tmp_path: Path) -> None:
    write(tmp_path, "a/webpush-iac.yaml", PROJECT)
    extra = write(tmp_path, "more/tag.yaml", "kind: Tag\n")
    assert manifest.group_paths([tmp_path / "a", extra]) == [[str(tmp_path / "a"), str(extra)]]


def test_paths_are_shown_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "sub/webpush-iac.yaml", PROJECT + "spec: {regoin: hk}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "sub"], now=NOW)
    assert str(caught.value.problems[0]) == (
        "sub/webpush-iac.yaml:4:8: spec.regoin: unknown key (did you mean 'region'?)"
    )


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "webpush-iac.yaml").write_bytes(b"kind: Project\nname: \xff\xfe\n")
    with pytest.raises(ManifestError) as caught:
        manifest.load([tmp_path / "webpush-iac.yaml"], now=NOW)
    assert caught.value.problems[0].message == "is not UTF-8 text"


# --- YAML ----------------------------------------------------------------------------------------

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
