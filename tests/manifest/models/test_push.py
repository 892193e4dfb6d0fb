"""Template content: languages, push options within the API's limits, variables."""

from __future__ import annotations

from typing import Any

import pytest
from support.manifests import document
from support.models import errors

from webpush_iac.manifest.models.kinds import TemplateModel


def template(**spec: Any) -> dict[str, Any]:
    content = {"notification": {"alert": "a", "url": "https://e.com"}}
    return document("Template", "t", {**content, **spec})


def test_push_option_limits() -> None:
    opts = {"time_to_live": 15 * 86400 + 1, "big_push_duration": 1441}
    buttons = [{"id": str(i), "text": "go"} for i in range(3)]
    assert errors(TemplateModel, template(options={**opts, "web_buttons": buttons})) == [
        ("spec.options.time_to_live", "must be at most 1296000"),
        ("spec.options.big_push_duration", "must be at most 1440"),
        ("spec.options.web_buttons", "has 3 items; the API accepts at most 2"),
    ]


def test_multi_language_is_built_from_languages_not_written() -> None:
    assert errors(TemplateModel, template(options={"multi_language": {}})) == [
        ("spec.options.multi_language", "is built from languages: (declare them there)")
    ]


def test_variable_is_required_or_has_a_default() -> None:
    model = TemplateModel.model_validate(template(variables={"a": {}, "b": {"default": 1}}))
    assert model.spec.variables["a"].is_required
    assert not model.spec.variables["b"].is_required
    assert errors(TemplateModel, template(variables={"a": {"required": True, "default": 1}})) == [
        ("spec.variables.a", "give either required: true or a default, not both")
    ]


def test_template_language_codes_are_checked() -> None:
    TemplateModel.model_validate(
        template(languages={"fr": {"title": "x"}, "zh-Hans": {"alert": "y"}})
    )
    ((path, message),) = errors(TemplateModel, template(languages={"french": {"title": "x"}}))
    assert path == "spec.languages.french"
    assert message.startswith("'french' is not a multi_language code the API documents")


@pytest.mark.parametrize("code", ["pt_PT", "pt_BR", "es_AR", "es_ES", "es_419", "en", "zh-Hant"])
def test_documented_multi_language_codes_are_accepted_as_spelled(code: str) -> None:
    TemplateModel.model_validate(template(languages={code: {"title": "x"}}))


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("pt-BR", "did you mean 'pt_BR'?"),
        ("es-419", "did you mean 'es_419'?"),
        ("zh_hans", "did you mean 'zh-Hans'?"),
        ("fr-CA", "did you mean 'fr'?"),
        ("pt", "did you mean 'pt_BR' or 'pt_PT'?"),
        ("aa", "(see the README for the list)"),
    ],
)
def test_undocumented_multi_language_code_is_refused_with_the_nearest_documented_one(
    code: str, hint: str
) -> None:
    ((path, message),) = errors(TemplateModel, template(languages={code: {"title": "x"}}))
    assert path == f"spec.languages.{code}"
    assert message.startswith(f"'{code}' is not a multi_language code the API documents")
    assert message.endswith(hint)


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ({"time_to_live": "3600"}, "3600"),
        ({"time_to_live": 3600}, 3600),
        ({"big_push_duration": "30"}, "30"),
        ({"override_msg_id": "1800000001"}, "1800000001"),
    ],
)
def test_int_or_string_options_are_kept_as_written(options: dict[str, Any], kept: Any) -> None:
    model = TemplateModel.model_validate(template(options=options))
    assert model.spec.options is not None
    assert model.spec.options.model_dump(exclude_none=True) == {next(iter(options)): kept}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1 hour", 'must be an integer or a quoted string of digits (like "3600")'),
        ("1296001", "must be at most 1296000"),
        (-1, "must be at least 0"),
        (True, "must be an integer or a quoted string of digits"),
        (1.5, "must be an integer or a quoted string of digits"),
    ],
)
def test_time_to_live_is_checked_as_a_number_whatever_its_spelling(
    value: Any, message: str
) -> None:
    assert errors(TemplateModel, template(options={"time_to_live": value})) == [
        ("spec.options.time_to_live", message)
    ]


def test_alert_and_msg_content_may_be_json_objects_but_not_empty_ones() -> None:
    alert = {"alert": {"text": "Hi"}, "url": "https://e.com"}
    TemplateModel.model_validate(document("Template", "t", {"notification": alert}))
    TemplateModel.model_validate(document("Template", "t", {"message": {"msg_content": {"k": 1}}}))
    empty = {"alert": {}, "url": "https://e.com"}
    assert errors(TemplateModel, document("Template", "t", {"notification": empty})) == [
        ("spec.notification.alert", "must not be an empty mapping")
    ]
    listed = {"msg_content": ["a"]}
    assert errors(TemplateModel, document("Template", "t", {"message": listed})) == [
        ("spec.message.msg_content", "must be a string or a mapping (a JSON object)")
    ]


def test_notification_in_the_apis_own_shape_holds_a_web_block() -> None:
    api = {"alert": "Hi,MTPush !", "web": {"alert": "a", "url": "https://e.com"}}
    model = TemplateModel.model_validate(document("Template", "t", {"notification": api}))
    assert type(model.spec.notification).__name__ == "ApiNotification"
    missing = {"alert": "Hi", "web": {"url": "https://e.com"}}
    assert errors(TemplateModel, document("Template", "t", {"notification": missing})) == [
        ("spec.notification.web.alert", "is required")
    ]


@pytest.mark.parametrize("platform", ["web", ["web"]])
def test_platform_may_be_written_as_the_api_takes_it(platform: Any) -> None:
    model = TemplateModel.model_validate(template(platform=platform))
    assert model.spec.platform == platform


@pytest.mark.parametrize("platform", ["all", ["web", "web"], [], "Web"])
def test_platform_other_than_web_is_refused_on_web_push(platform: Any) -> None:
    assert errors(TemplateModel, template(platform=platform)) == [
        ("spec.platform", "must be web or [web] on Web Push")
    ]
