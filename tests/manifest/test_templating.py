"""Rendering templates into push payloads: variables, sandbox, options, payload checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.manifests import NOW, head

from webpush_iac import manifest
from webpush_iac.errors import ManifestError
from webpush_iac.manifest.models.kinds import ScheduleModel, TemplateModel
from webpush_iac.manifest.render_limits import _LimitExceeded
from webpush_iac.manifest.templating import Renderer
from webpush_iac.state import ProjectSettings


def project(vars_: str = "{}") -> str:
    return head("Project", "p") + f"spec: {{vars: {vars_}}}\n"


def template(spec: str, name: str = "t") -> str:
    return head("Template", name) + f"spec:\n{spec}"


def schedule(
    push: str, name: str = "s", trigger: str = "{single: {time: '2027-01-15 09:00:00'}}"
) -> str:
    return head("Schedule", name) + f"spec:\n  trigger: {trigger}\n  push:\n{push}"


def load(tmp_path: Path, *docs: str) -> Any:
    (tmp_path / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return manifest.load_report([tmp_path / "m.yaml"], now=NOW)


def problems(tmp_path: Path, *docs: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load(tmp_path, *docs)
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


DIGEST = template(
    "  variables:\n"
    "    edition: {required: true}\n"
    "    site: {default: 'https://template.example'}\n"
    "    tone: {default: calm}\n"
    "  notification:\n"
    "    title: '{{ edition }} / {{ tone }} / {{ brand }}'\n"
    "    alert: 'Read it'\n"
    "    url: '{{ site }}/digest'\n"
)


def web(result: Any, name: str = "s") -> dict[str, Any]:
    web: dict[str, Any] = result.state.schedules[name].push["body"]["notification"]["web"]
    return web


def test_schedule_vars_beat_template_defaults_which_beat_project_vars(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        project("{brand: ACME, site: 'https://project.example', tone: loud}"),
        DIGEST,
        schedule("    to: all\n    template: t\n    vars: {edition: May, tone: warm}\n"),
    )
    assert web(result) == {
        "alert": "Read it",
        "url": "https://template.example/digest",
        "title": "May / warm / ACME",
    }


def test_a_typo_in_schedule_vars_is_an_error_not_a_silent_default(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        project("{brand: ACME}"),
        DIGEST,
        schedule("    to: all\n    template: t\n    vars: {edition: May, tonne: warm}\n"),
    )
    assert found == [
        "27:26: spec.push.vars.tonne: is not a variable of template 't' nor of the Project's vars"
    ]


def test_missing_required_variable_names_the_template(tmp_path: Path) -> None:
    found = problems(
        tmp_path, project("{brand: A}"), DIGEST, schedule("    to: all\n    template: t\n")
    )
    assert found == ["26:5: spec.push.template: template 't' requires variable 'edition'"]


def test_a_project_var_satisfies_a_required_variable(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        project("{brand: A, edition: Daily}"),
        DIGEST,
        schedule("    to: all\n    template: t\n"),
    )
    assert web(result)["title"] == "Daily / calm / A"


def test_attribute_of_a_missing_key_fails_at_render_with_the_schedule_name(tmp_path: Path) -> None:
    tpl = template(
        "  variables: {user: {required: true}}\n"
        "  notification: {alert: 'Hi {{ user.name }}', url: 'https://e.com'}\n"
    )
    found = problems(
        tmp_path,
        project(),
        tpl,
        schedule("    to: all\n    template: t\n    vars: {user: {nick: x}}\n"),
    )
    assert found == [
        "11:18: spec.notification.alert: 'dict object' has no attribute 'name' (rendering schedule 's')"
    ]


def test_internals_reached_through_a_filter_are_stopped_by_the_sandbox(tmp_path: Path) -> None:
    tpl = template(
        "  notification: {alert: \"{{ 'x' | attr('__class__') }}\", url: 'https://e.com'}\n"
    )
    found = problems(tmp_path, project(), tpl, schedule("    to: all\n    template: t\n"))
    assert found == [
        "10:18: spec.notification.alert: template code may not access Python internals: "
        "access to attribute '__class__' of 'str' object is unsafe."
    ]


def test_a_template_cannot_build_a_huge_string(tmp_path: Path) -> None:
    tpl = template("  notification: {alert: \"{{ 'x' * 1000000 }}\", url: 'https://e.com'}\n")
    found = problems(tmp_path, project(), tpl, schedule("    to: all\n    template: t\n"))
    assert found == [
        "10:18: spec.notification.alert: template would build a sequence longer than 100,000 "
        "items (rendering schedule 's')"
    ]


def test_template_syntax_errors_point_at_the_string(tmp_path: Path) -> None:
    tpl = template("  notification:\n    alert: '{% if %}'\n    url: 'https://e.com'\n")
    found = problems(tmp_path, project(), tpl)
    assert found == [
        "11:5: spec.notification.alert: template syntax error: Expected an expression, got 'end of statement block'"
    ]


def test_unknown_filter_and_test_are_located_manifest_errors_with_the_nearest_name(
    tmp_path: Path,
) -> None:
    tpl = template(
        "  variables: {edition: {required: true}}\n"
        "  notification:\n"
        "    title: '{{ edition | nosuchfilter }}'\n"
        "    alert: '{% if edition is nosuchtest %}x{% endif %}{{ edition | uper }}'\n"
        "    url: 'https://e.com'\n"
    )
    use = schedule("    to: all\n    template: t\n    vars: {edition: May}\n")
    assert problems(tmp_path, project(), tpl, use) == [
        "12:5: spec.notification.title: template uses unknown filter 'nosuchfilter'",
        "13:5: spec.notification.alert: template uses unknown filter 'uper'; did you mean 'upper'?",
        "13:5: spec.notification.alert: template uses unknown test 'nosuchtest'",
    ]


def test_unknown_filter_in_inline_content_and_schedule_options_is_located(tmp_path: Path) -> None:
    inline = (
        "    to: all\n"
        "    notification: {alert: '{{ 1 | bogus }}', url: 'https://e.com'}\n"
        "    options: {web_buttons: [{id: a, text: '{{ 2 is bogus }}'}]}\n"
    )
    assert problems(tmp_path, project(), schedule(inline)) == [
        "13:20: spec.push.notification.alert: template uses unknown filter 'bogus'",
        "14:37: spec.push.options.web_buttons[0].text: template uses unknown test 'bogus'",
    ]


def test_errors_raised_while_rendering_say_what_went_wrong(tmp_path: Path) -> None:
    inline = "    to: all\n    notification: {alert: '{{ n / 0 }}', url: 'https://e.com'}\n"
    assert problems(tmp_path, project("{n: 1}"), schedule(inline)) == [
        "13:20: spec.push.notification.alert: template error: ZeroDivisionError: division by "
        "zero (rendering schedule 's')"
    ]


def test_syntax_error_in_a_multi_line_string_names_the_line_inside_it(tmp_path: Path) -> None:
    tpl = template(
        "  notification:\n    alert: |\n      one\n      {% if %}\n    url: 'https://e.com'\n"
    )
    (found,) = problems(tmp_path, project(), tpl)
    assert found.startswith("11:5: spec.notification.alert: template syntax error: ")
    assert found.endswith("(line 2 of the template)")


def test_unused_template_is_still_checked_for_undeclared_variables(tmp_path: Path) -> None:
    tpl = template("  notification: {alert: '{{ missing }}', url: 'https://e.com'}\n")
    assert problems(tmp_path, project(), tpl) == [
        "10:18: spec.notification.alert: uses undeclared variable 'missing' "
        "(declare it under spec.variables or in the Project's vars)"
    ]


def test_inline_content_may_use_project_vars_and_override_them(tmp_path: Path) -> None:
    inline = "    to: all\n    vars: {brand: Override}\n    notification: {alert: '{{ brand }}', url: 'https://e.com'}\n"
    assert web(load(tmp_path, project("{brand: ACME}"), schedule(inline)))["alert"] == "Override"
    undeclared = "    to: all\n    notification: {alert: '{{ brand }}', url: 'https://e.com'}\n"
    assert problems(tmp_path, project(), schedule(undeclared)) == [
        "13:20: spec.push.notification.alert: uses undeclared variable 'brand' "
        "(inline content can use the Project's vars only)"
    ]


def test_schedule_options_merge_over_template_options(tmp_path: Path) -> None:
    tpl = template(
        "  notification: {alert: a, url: 'https://e.com'}\n"
        "  options:\n"
        "    time_to_live: 86400\n"
        "    third_party_channel: {w3push: {distribution: mtpush}}\n"
        "    web_buttons: [{id: a, text: A}]\n"
    )
    sched = schedule(
        "    to: all\n    template: t\n    options: {time_to_live: 60, web_buttons: [{id: b, text: B}]}\n"
    )
    options = load(tmp_path, project(), tpl, sched).state.schedules["s"].push["body"]["options"]
    assert options == {
        "time_to_live": 60,
        "third_party_channel": {"w3push": {"distribution": "mtpush"}},
        "web_buttons": [{"id": "b", "text": "B"}],
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "'ftp://e.com/x'", "must be an http(s) URL"),
        ("url", "'https://'", "must be an http(s) URL"),
        ("alert", "''", "must not be empty"),
    ],
)
def test_rendered_content_is_checked_where_it_is_declared(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    content = {"alert": "a", "url": "'https://e.com'", field: value}
    inline = (
        "    to: all\n    notification: {"
        + ", ".join(f"{k}: {v}" for k, v in content.items())
        + "}\n"
    )
    ((found,),) = [problems(tmp_path, project(), schedule(inline))]
    assert found.endswith(f"spec.push.notification.{field}: {message}")


def test_button_urls_rendered_from_vars_are_checked_per_schedule(tmp_path: Path) -> None:
    tpl = template(
        "  variables: {path: {required: true}}\n"
        "  notification: {alert: a, url: 'https://e.com'}\n"
        "  options: {web_buttons: [{id: go, text: Go, url: '{{ path }}'}]}\n"
    )
    found = problems(
        tmp_path, project(), tpl, schedule("    to: all\n    template: t\n    vars: {path: /x}\n")
    )
    assert found == [
        "12:46: spec.options.web_buttons[0].url: must be an http(s) URL (renders to '/x' for schedule 's')"
    ]


def test_message_templates_and_languages(tmp_path: Path) -> None:
    tpl = template(
        "  message: {msg_content: 'refresh {{ n }}', title: T}\n"
        "  variables: {n: {default: 1}}\n"
        "  languages: {ja: {title: 'タイトル'}}\n"
    )
    body = (
        load(tmp_path, project(), tpl, schedule("    to: all\n    template: t\n"))
        .state.schedules["s"]
        .push["body"]
    )
    assert body == {
        "platform": "web",
        "message": {"msg_content": "refresh 1", "title": "T"},
        "options": {"multi_language": {"ja": {"title": "タイトル"}}},
    }


def test_non_finite_numbers_cannot_reach_the_api(tmp_path: Path) -> None:
    inline = "    to: all\n    notification: {alert: a, url: 'https://e.com', extras: {x: .nan}}\n"
    assert problems(tmp_path, project(), schedule(inline)) == [
        "11:3: spec.push: contains .nan or .inf, which JSON (and so the API) cannot carry"
    ]


def test_a_cid_on_a_repeating_schedule_is_warned_about(tmp_path: Path) -> None:
    trigger = "{periodical: {start: '2026-12-01 00:00:00', end: '2027-01-01 00:00:00', time: '09:00:00', time_unit: day}}"
    inline = "    to: all\n    notification: {alert: a, url: 'https://e.com'}\n    options: {cid: digest_1}\n"
    result = load(tmp_path, project(), schedule(inline, trigger=trigger))
    assert [w.path for w in result.warnings] == ["spec.push.options.cid"]


def test_each_distinct_template_string_is_compiled_once(tmp_path: Path) -> None:
    text = "---\n".join(
        [DIGEST]
        + [
            schedule(f"    to: all\n    template: t\n    vars: {{edition: e{i}}}\n", f"s{i}")
            for i in range(40)
        ]
    )
    docs, _ = manifest.parse_documents(text, "m.yaml")
    renderer = Renderer(ProjectSettings(name="p", vars={"brand": "B"}))
    compiled: list[str] = []
    original = renderer.env.compile_bounded

    def counting(source: str) -> Any:
        compiled.append(source)
        return original(source)

    renderer.env.compile_bounded = counting  # type: ignore[method-assign,assignment]
    tpl = (docs[0], TemplateModel.model_validate(docs[0].data))
    for doc in docs[1:]:
        rendered = renderer.render_push(doc, ScheduleModel.model_validate(doc.data), tpl)
        assert rendered.problems == []
    assert sorted(compiled) == ["{{ edition }} / {{ tone }} / {{ brand }}", "{{ site }}/digest"]


def test_schedule_options_may_use_its_template_variables(tmp_path: Path) -> None:
    tpl = template(
        "  variables: {slug: {required: true}}\n"
        "  notification: {alert: a, url: 'https://e.com/{{ slug }}'}\n"
    )
    buttons = (
        "    options: {web_buttons: [{id: go, text: Go, url: 'https://e.com/{{ slug }}/go'}]}\n"
    )
    sched = schedule("    to: all\n    template: t\n    vars: {slug: x}\n" + buttons)
    options = load(tmp_path, project(), tpl, sched).state.schedules["s"].push["body"]["options"]
    assert options["web_buttons"][0]["url"] == "https://e.com/x/go"
    typo = buttons.replace("{{ slug }}", "{{ slgu }}")
    assert problems(
        tmp_path,
        project(),
        tpl,
        schedule("    to: all\n    template: t\n    vars: {slug: x}\n" + typo),
    ) == [
        "22:48: spec.push.options.web_buttons[0].url: uses undeclared variable 'slgu' "
        "(declare it in template 't' or the Project's vars)"
    ]


# --- render limits: every probe of the attack run is a located validate error ----------------

TOO_LONG = "template would build a value longer than 100,000 characters"
PROBES = {
    "nested ranges": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "template loops over more than 100,000 items in one render",
    ),
    "one huge range": ("{% for i in range(10**9) %}{% endfor %}", "range() of more than 10,000"),
    "printf width": ("{{ '%999999999d' % 1 }}", TOO_LONG),
    "printf precision": ("{{ '%.999999999f' % 1.0 }}", TOO_LONG),
    "printf star width": ("{{ '%*d' % (999999999, 1) }}", "width or precision from its arguments"),
    "format filter width": ("{{ '%999999999d'|format(1) }}", TOO_LONG),
    "center method": ("{{ 'x'.center(999999999) }}", TOO_LONG),
    "ljust method": ("{{ 'x'.ljust(999999999) }}", TOO_LONG),
    "rjust method": ("{{ 'x'.rjust(999999999) }}", TOO_LONG),
    "zfill method": ("{{ '1'.zfill(999999999) }}", TOO_LONG),
    "expandtabs": ("{{ ('\\t' * 1000).expandtabs(999999) }}", TOO_LONG),
    "center filter": ("{{ 'x'|center(999999999) }}", TOO_LONG),
    "indent filter": ("{{ ('x\\n' * 5000)|indent(999999) }}", TOO_LONG),
    "str.format width": ("{{ '{:>999999999}'.format(1) }}", TOO_LONG),
    "nested format width": ("{{ '{0:{1}}'.format(1, 999999999) }}", TOO_LONG),
    "format_map width": ("{{ '{a:>999999999}'.format_map({'a': 1}) }}", TOO_LONG),
    "replace": ("{{ ('x' * 100000).replace('x', 'y' * 100000) }}", TOO_LONG),
    "replace filter": ("{{ ('x' * 1000)|replace('x', 'y' * 1000) }}", TOO_LONG),
    "join": ("{{ ('y' * 100000).join(['a'] * 100000) }}", TOO_LONG),
    "join filter": ("{{ (['a'] * 100000)|join('y' * 100000) }}", TOO_LONG),
    "printing a big list": ("{{ ['x' * 100000] * 100000 }}", TOO_LONG),
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        TOO_LONG,
    ),
    "doubling a list": (
        "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{{ ns.l.extend(ns.l) }}"
        "{% endfor %}",
        TOO_LONG,
    ),
    "captured output": (
        "{% set x %}{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}{% endset %}",
        "would emit more than 1,000,000 characters in one render",
    ),
    "big numbers": ("{{ ((10**64)**64)**64 }}", "a number longer than 16,384 bits"),
    "lipsum": ("{{ lipsum(999999999) }}", TOO_LONG),
    "batch fill": ("{{ [1]|batch(999999999, 'x')|list }}", "a sequence longer than 100,000"),
    "slices": ("{{ [1]|slice(999999999)|list }}", "a sequence longer than 100,000"),
}


@pytest.mark.parametrize(("expression", "message"), PROBES.values(), ids=PROBES.keys())
def test_a_template_that_would_cost_too_much_is_a_located_error(
    tmp_path: Path, expression: str, message: str
) -> None:
    inline = f'    to: all\n    notification: {{alert: "{expression}", url: "https://e.com"}}\n'
    found = problems(tmp_path, project(), schedule(inline))
    assert len(found) == 1
    assert found[0].startswith("13:20: spec.push.notification.alert: template ")
    assert message in found[0]
    assert found[0].endswith("(rendering schedule 's')")


def test_ordinary_formatting_loops_and_filters_still_render(tmp_path: Path) -> None:
    alert = (
        "{{ '%s has %d new' % ('Ann', 3) }} {{ '{:>5}|{:.2f}'.format('a', 3.14159) }} "
        "{{ 'abc'|center(9) }}|{% for x in [1, 2, 3] %}{{ loop.index }}/{{ loop.length }}"
        "{% if loop.last %}!{% endif %}{% endfor %}|{{ '%(a)s-%(b)05d' % {'a': 'x', 'b': 3} }} "
        "{{ ['a', 'b']|join(', ') }} {{ [1, 2]|map('string')|join('+') }} {{ 'a-b'.replace('-', '+') }}"
    )
    inline = f'    to: all\n    notification: {{alert: "{alert}", url: "https://e.com"}}\n'
    assert web(load(tmp_path, project(), schedule(inline)))["alert"] == (
        "Ann has 3 new     a|3.14    abc   |1/32/33/3!|x-00003 a, b 1+2 a+b"
    )


def test_a_render_that_runs_past_its_time_budget_is_stopped() -> None:
    ticks = iter(range(0, 1000, 1))  # one second per look at the clock
    renderer = Renderer(ProjectSettings(name="p"), clock=lambda: float(next(ticks)))
    compiled = renderer.env.compile_bounded("{% for i in range(100) %}{{ i }}{% endfor %}")
    with pytest.raises(_LimitExceeded, match="took longer than 2 seconds to render"):
        renderer._bounded_render(compiled, {})


def test_each_render_starts_with_a_fresh_budget() -> None:
    renderer = Renderer(ProjectSettings(name="p"))
    compiled = renderer.env.compile_bounded("{% for i in range(10000) %}{% endfor %}ok")
    assert [renderer._bounded_render(compiled, {}) for _ in range(30)] == ["ok"] * 30


def test_documented_shapes_render_as_written(tmp_path: Path) -> None:
    inline = (
        "    to: all\n"
        "    from: console\n"
        "    platform: [web]\n"
        "    custom_args: business info\n"
        "    notification:\n"
        "      alert: '{{ brand }} says hi'\n"
        "      web: {alert: {text: '{{ brand }}'}, url: 'https://e.com', icon: '', image: ''}\n"
        "    options: {time_to_live: '3600', web_buttons: [{id: b, text: go, url: ''}]}\n"
    )
    push = load(tmp_path, project("{brand: ACME}"), schedule(inline)).state.schedules["s"].push
    assert push == {
        "from": "console",
        "to": "all",
        "body": {
            "platform": ["web"],
            "notification": {
                "alert": "ACME says hi",
                "web": {"alert": {"text": "ACME"}, "url": "https://e.com", "icon": "", "image": ""},
            },
            "options": {
                "time_to_live": "3600",
                "web_buttons": [{"id": "b", "text": "go", "url": ""}],
            },
        },
        "custom_args": "business info",
    }


def test_an_empty_url_is_none_for_icons_but_the_click_url_is_required(tmp_path: Path) -> None:
    inline = "    to: all\n    notification: {alert: a, url: '', icon: ''}\n"
    assert problems(tmp_path, project(), schedule(inline)) == [
        "13:30: spec.push.notification.url: must be an http(s) URL"
    ]
    api = "    to: all\n    notification: {web: {alert: ' ', url: 'https://e.com', image: x}}\n"
    assert problems(tmp_path, project(), schedule(api)) == [
        "13:26: spec.push.notification.web.alert: must not be empty",
        "13:60: spec.push.notification.web.image: must be an http(s) URL",
    ]


def test_platform_belongs_to_the_template_when_one_is_used(tmp_path: Path) -> None:
    tpl = template("  platform: [web]\n  notification: {alert: a, url: 'https://e.com'}\n")
    use = schedule("    to: all\n    template: t\n")
    assert load(tmp_path, project(), tpl, use).state.schedules["s"].push["body"]["platform"] == [
        "web"
    ]
    twice = schedule("    to: all\n    template: t\n    platform: web\n")
    assert problems(tmp_path, project(), tpl, twice) == [
        "21:5: spec.push.platform: belongs to the template when one is used"
    ]
