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
