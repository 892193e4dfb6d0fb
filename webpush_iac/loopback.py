"""The one safety policy the client and the emulator share: plain http reaches loopback only.

Basic auth over plain http elsewhere would send the master secret in clear text, and an emulator
listening beyond loopback would accept credentials from the network. Both sides apply the same
rule, so it lives in a foundation module the emulator may import without reaching the engine.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``[::1]`` brackets allowed): the only plain-http hosts."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


__all__ = ["is_loopback"]
