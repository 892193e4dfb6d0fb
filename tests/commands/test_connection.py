"""Where apply --plan goes and with which credentials: apply decides, the plan only agrees."""

from __future__ import annotations

import pytest
from support.plan import mixed_plan

from webpush_iac.commands.connection import (
    EMULATOR_APP_KEY,
    EMULATOR_TARGET,
    CredentialEnv,
    Target,
    resolve_credentials,
    saved_plan_target,
    settings_from_plan,
)
from webpush_iac.errors import ConfigError, StalePlanError
from webpush_iac.plan import Plan

HOME = "https://webpushapi-sgp.engagelab.com"


def plan_for(target: str) -> Plan:
    plan = mixed_plan()
    plan.target = target
    return plan


def where(plan: Plan, target: Target) -> Target:
    return saved_plan_target(plan, settings_from_plan(plan, CredentialEnv()), target)


def factory(**_kw: object) -> object:
    return object()


def test_without_flags_the_target_is_the_plan_regions_built_in_host() -> None:
    assert where(plan_for(HOME), Target()).base_url == HOME


def test_a_plan_recorded_for_another_host_is_refused_without_flags() -> None:
    with pytest.raises(
        StalePlanError, match=r"made for https://attacker\.example, not https://webpushapi-sgp"
    ) as info:
        where(plan_for("https://attacker.example"), Target())
    assert "pass --base-url https://attacker.example" in str(info.value)


def test_an_explicit_base_url_must_equal_the_recorded_target() -> None:
    proxy = "https://proxy.example/engagelab"
    assert where(plan_for(proxy), Target(base_url=proxy + "/")).base_url == proxy
    with pytest.raises(StalePlanError, match="--base-url / WEBPUSH_BASE_URL"):
        where(plan_for(HOME), Target(base_url=proxy))


def test_emulator_plans_need_emulator_and_nothing_else_takes_it() -> None:
    emulated = Target(emulator=factory)
    assert where(plan_for(EMULATOR_TARGET), emulated) is emulated
    with pytest.raises(StalePlanError, match="pass --emulator"):
        where(plan_for(EMULATOR_TARGET), Target())
    with pytest.raises(StalePlanError, match="drop --emulator"):
        where(plan_for(HOME), emulated)


def test_settings_come_from_the_plan_and_credential_names_from_apply() -> None:
    plan = mixed_plan()
    settings = settings_from_plan(plan, CredentialEnv("MY_KEY", "MY_SECRET"))
    assert (settings.app_key_env, settings.master_secret_env) == ("MY_KEY", "MY_SECRET")
    assert settings.prefix == plan.owner_prefix == "iac_"
    assert settings.qps == plan.settings["qps"]


@pytest.mark.parametrize("name", ["", "1ABC", "A-B", "A B", "$HOME"])
def test_credential_variable_names_are_checked(name: str) -> None:
    with pytest.raises(ConfigError, match="not an environment variable name"):
        CredentialEnv(app_key=name)


def test_credentials_are_read_from_the_named_variables_only() -> None:
    env = {"MY_KEY": "k", "MY_SECRET": "s", "WEBPUSH_APP_KEY": "x", "WEBPUSH_MASTER_SECRET": "y"}
    creds = resolve_credentials("MY_KEY", "MY_SECRET", Target(), env)
    assert (creds.app_key, creds.master_secret) == ("k", "s")
    with pytest.raises(ConfigError, match="MY_SECRET"):
        resolve_credentials("MY_KEY", "MY_SECRET", Target(), {"MY_KEY": "k"})


def test_the_emulator_takes_its_fixed_credentials_when_none_are_set() -> None:
    names = CredentialEnv()
    creds = resolve_credentials(names.app_key, names.master_secret, Target(emulator=factory), {})
    assert creds.app_key == EMULATOR_APP_KEY
