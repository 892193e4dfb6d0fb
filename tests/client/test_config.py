"""Where the client connects and with which credentials: regions, overrides, plain-http rules."""

from __future__ import annotations

import pytest
from support.mock_http import CREDS, SECRET

from webpush_iac.client import (
    EngageLabClient,
    check_base_url,
    credentials_from_env,
    resolve_base_url,
)
from webpush_iac.errors import ConfigError


@pytest.mark.parametrize(
    ("region", "product", "url"),
    [
        ("sgp", "web", "https://webpushapi-sgp.engagelab.com"),
        ("hk", "web", "https://webpushapi-hk.engagelab.com"),
        ("HK", "web", "https://webpushapi-hk.engagelab.com"),
        ("usva", "app", "https://pushapi-usva.engagelab.com"),
    ],
)
def test_regions_map_to_the_documented_base_urls(region: str, product: str, url: str) -> None:
    assert resolve_base_url(region, product) == url


def test_unknown_region_is_a_config_error_listing_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"'mars'.*valid: hk, sgp"):
        resolve_base_url("mars")


def test_override_wins_over_region_and_loses_trailing_slash_and_v4() -> None:
    assert resolve_base_url("sgp", override="https://proxy.example/push/v4/") == (
        "https://proxy.example/push"
    )


@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.1:8080", "http://localhost.evil.com"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="plain http"):
        check_base_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787", "http://127.3.4.5", "http://[::1]:9000", "http://LOCALHOST"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert check_base_url(url + "/") == url


def test_base_url_with_user_info_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        check_base_url(f"https://appkey1:{SECRET}@api.test")
    assert SECRET not in str(info.value)


def test_client_refuses_a_plain_http_base_url_to_a_remote_host() -> None:
    with pytest.raises(ConfigError):
        EngageLabClient("http://webpushapi-sgp.engagelab.com", CREDS)


def test_missing_credentials_name_the_variable_never_a_value() -> None:
    env = {"MY_KEY": "appkey1", "MY_SECRET": ""}
    with pytest.raises(ConfigError) as info:
        credentials_from_env("MY_KEY", "MY_SECRET", environ=env)
    assert "MY_SECRET" in str(info.value)
    assert "appkey1" not in str(info.value)
    creds = credentials_from_env("MY_KEY", "MY_SECRET", environ={**env, "MY_SECRET": SECRET})
    assert creds == CREDS
