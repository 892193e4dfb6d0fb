"""Serving the emulator: loopback only unless allowed, one Date header from its clock."""

from __future__ import annotations

import httpx
import pytest
from support.constants import APP_KEY, MASTER_SECRET

from webpush_iac.emulator import running_server
from webpush_iac.emulator.server import check_host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_allowed(host):
    check_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_other_hosts_need_allow_remote(host):
    with pytest.raises(ValueError, match="allow-remote"):
        check_host(host)
    check_host(host, allow_remote=True)


def test_running_server_serves_on_loopback_and_stops(emulator_config):
    with running_server(emulator_config) as url:
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/v4/tags", auth=(APP_KEY, MASTER_SECRET))
        assert answer.status_code == 200
        assert answer.json() == {"tags": []}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v4/tags", auth=(APP_KEY, MASTER_SECRET))


def test_served_responses_carry_exactly_one_date_header_from_the_emulator_clock(emulator_url):
    auth = (APP_KEY, MASTER_SECRET)
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        moved = client.post("/_emulator/clock", json={"now": "2030-01-02 03:04:05"})
        assert moved.status_code == 200
        response = client.get("/v4/schedules")
    dates = response.headers.get_list("date")
    assert dates == ["Wed, 02 Jan 2030 03:04:05 GMT"]
