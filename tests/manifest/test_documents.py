"""Documents → DesiredState: the contract the engine relies on, checked on the quickstart example."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.constants import QUICKSTART
from support.manifests import NOW, head, write

from webpush_iac import manifest
from webpush_iac.errors import ManifestError
from webpush_iac.state import DesiredState

PROJECT = head("Project", "p")


@pytest.fixture
def quickstart() -> DesiredState:
    return manifest.load([QUICKSTART], now=NOW)


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
    assert (project.qps, project.concurrency, project.timeout) == (450.0, 32, 10.0)
    assert (project.max_delete_percent, project.max_device_changes) == (30.0, 10000)
    assert project.unknown_devices == "warn"
    assert project.managed_tag_globs == ()
    assert project.vars == {}


def test_safety_unknown_devices_error_is_read_and_other_values_refused(tmp_path: Path) -> None:
    write(tmp_path, "webpush-iac.yaml", PROJECT + "spec:\n  safety: {unknown_devices: error}\n")
    assert manifest.load([tmp_path], now=NOW).project.unknown_devices == "error"
    write(tmp_path, "webpush-iac.yaml", PROJECT + "spec:\n  safety: {unknown_devices: ignore}\n")
    with pytest.raises(ManifestError) as err:
        manifest.load([tmp_path], now=NOW)
    (problem,) = err.value.problems
    assert (problem.line, problem.path) == (5, "spec.safety.unknown_devices")


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
        PROJECT
        + "---\n"
        + head("Schedule", "s")
        + "spec:\n  trigger:\n    periodical: {start: '2026-12-01 00:00:00', "
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
        PROJECT
        + "---\n"
        + head("Schedule", "s")
        + "spec:\n  trigger: {single: {time: '2027-01-01 00:00:00', zone_type: 2}}\n"
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


SPEC = (
    "spec:\n  trigger: {single: {time: '2027-01-01 00:00:00'}}\n"
    "  push: {to: all, notification: {alert: a, url: 'https://e.com'}}\n"
)


def renamed(name: str, old: str) -> str:
    return head("Schedule", metadata=f"{{name: {name}, renamed_from: {old}}}") + SPEC


def test_renamed_from_reaches_the_desired_schedule(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", PROJECT + "---\n" + renamed("weekly", "digest"))
    schedule = manifest.load([tmp_path], now=NOW).schedules["weekly"]
    assert (schedule.name, schedule.live_name, schedule.renamed_from) == (
        "weekly",
        "iac_weekly",
        "digest",
    )


def test_renamed_from_naming_a_schedule_still_declared_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    text = (
        PROJECT
        + "---\n"
        + head("Schedule", "digest")
        + SPEC
        + "---\n"
        + renamed("weekly", "digest")
    )
    write(tmp_path, "m.yaml", text)
    with pytest.raises(ManifestError) as err:
        manifest.load([tmp_path], now=NOW)
    (problem,) = err.value.problems
    assert (problem.line, problem.path) == (14, "metadata.renamed_from")
    assert "Schedule 'digest' is still declared (at " in problem.message
    assert "m.yaml:5:1)" in problem.message


def test_two_schedules_renamed_from_one_old_name_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        "m.yaml",
        PROJECT + "---\n" + renamed("weekly", "digest") + "---\n" + renamed("daily", "digest"),
    )
    with pytest.raises(ManifestError) as err:
        manifest.load([tmp_path], now=NOW)
    (problem,) = err.value.problems
    assert problem.path == "metadata.renamed_from"
    assert problem.message.endswith("m.yaml:5:1")
    assert "'digest' is already renamed by the Schedule at " in problem.message


def test_renamed_from_its_own_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", PROJECT + "---\n" + renamed("weekly", "weekly"))
    with pytest.raises(ManifestError, match="is the schedule's own name"):
        manifest.load([tmp_path], now=NOW)


def _quickstart_copy(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """The quickstart example with ``{file: (old, new)}`` text replacements."""
    root = tmp_path / "quickstart"
    for source in QUICKSTART.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if source.name in edits:
            old, new = edits[source.name]
            assert old in text
            text = text.replace(old, new)
        write(root, source.name, text)
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        manifest.load([root], now=NOW)
    return [f"{Path(p.file).name}:{p.line}: {p.path}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "master_secret: {env: WEBPUSH_MASTER_SECRET}",
            "master_secret: hunter2",
            "webpush-iac.yaml:12: spec.credentials.master_secret: must be an environment "
            "reference like {env: WEBPUSH_MASTER_SECRET}; literal credentials are not allowed "
            "in manifests",
        ),
        ("region: sgp", "region: moon", "webpush-iac.yaml:9: spec.region: must be 'sgp' or 'hk'"),
        (
            "timezone: UTC ",
            "timezone: Mars/Olympus ",
            "webpush-iac.yaml:13: spec.timezone: is not a known IANA time zone (for example "
            "UTC or Asia/Singapore)",
        ),
    ],
    ids=["literal secret", "bad region", "bad timezone"],
)
def test_a_project_error_is_reported_alone_not_as_template_errors_about_its_vars(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    root = _quickstart_copy(tmp_path, {"webpush-iac.yaml": (old, new)})
    assert _problems(root) == [expected]


def test_invalid_project_vars_silence_the_variable_checks_that_depend_on_them(
    tmp_path: Path,
) -> None:
    edit = ("site: https://shop.example.com", "site: https://shop.example.com\n    9lives: x")
    root = _quickstart_copy(tmp_path, {"webpush-iac.yaml": edit})
    (problem,) = _problems(root)
    assert problem == (
        "webpush-iac.yaml:17: spec.vars.9lives: must be an identifier (letters, digits, "
        "underscore; not a digit first)"
    )


def test_a_schedule_error_does_not_hide_what_its_template_renders_badly(tmp_path: Path) -> None:
    edit = (
        'single: {time: "2027-01-02 08:00:00"}      # zone_type',
        'single: {time: "2027-13-02 08:00:00"}      # zone_type',
    )
    vars_edit = ("vars: {discount: 30}", 'vars: {discount: 30, landing: "a b"}')
    root = _quickstart_copy(tmp_path, {"schedules.yaml": edit})
    text = (root / "schedules.yaml").read_text(encoding="utf-8").replace(*vars_edit)
    write(root, "schedules.yaml", text)
    bad_url = (
        "must be an http(s) URL (renders to 'https://shop.example.com/fr/a b' for schedule "
        "'new_year_sale_fr')"
    )
    assert _problems(root) == [
        "schedules.yaml:10: spec.trigger.single.time: is not a real date and time",
        f"templates.yaml:36: spec.notification.url: {bad_url}",
        f"templates.yaml:41: spec.options.web_buttons[0].url: {bad_url}",
    ]


def test_a_template_error_does_not_hide_the_other_strings_it_renders_badly(
    tmp_path: Path,
) -> None:
    edit = ('title: "Soldes : -{{ discount }} %"', 'title: "Soldes : -{{ discont }} %"')
    root = _quickstart_copy(tmp_path, {"templates.yaml": edit})
    text = (root / "schedules.yaml").read_text(encoding="utf-8")
    write(
        root,
        "schedules.yaml",
        text.replace("vars: {discount: 30}", 'vars: {discount: 30, landing: "a b"}'),
    )
    found = _problems(root)
    assert found[0] == (
        "templates.yaml:34: spec.notification.title: uses undeclared variable 'discont' "
        "(declare it under spec.variables or in the Project's vars)"
    )
    assert [p.split(": ")[1] for p in found[1:]] == [
        "spec.notification.url",
        "spec.options.web_buttons[0].url",
    ]
