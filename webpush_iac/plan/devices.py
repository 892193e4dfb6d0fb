"""Device tags and aliases: what each known device should gain or lose, and the bulk requests.

Why two views of one change: reviewers think per device ("this phone loses ``beta``"), but the API
is cheapest per tag — ``POST /v4/tags/{tag}`` takes up to 1000 registration ids to add and 1000 to
remove in one call, so 10,000 devices gaining one tag cost 10 requests instead of 10,000. Device
changes (``device/RID``) therefore carry only their alias requests and the fingerprint apply checks;
tag changes (``tag/NAME``) carry the membership requests.

Only tags the project manages are ever removed: a tag the app's own SDK set stays. No
deepdiff here: device states are sets and set arithmetic is both exact and fast.
"""

from __future__ import annotations

from collections import defaultdict

from webpush_iac.apispec import MAX_TAGS_PER_DEVICE, TAG_CHUNK, device_path, tag_path
from webpush_iac.plan.fingerprint import fingerprint_device
from webpush_iac.plan.model import ApiRequest, Change, FieldChange, PlanProblem, PlanWarning
from webpush_iac.state import DesiredDevice, DesiredState, LiveDevice, LiveState


def diff_devices(
    desired: DesiredState, live: LiveState
) -> tuple[list[Change], list[PlanProblem], list[PlanWarning]]:
    """Per-device changes plus per-tag bulk changes; converged devices produce nothing.

    A device that cannot be planned (unknown to the API, or its read kept failing) is left out of
    every list, alias moves and bulk tag requests included, with a warning saying so: one stale
    subscription must not hold back every other change (``safety.unknown_devices: error`` makes an
    unknown device a plan error instead).
    """
    changes: list[Change] = []
    problems: list[PlanProblem] = []
    warnings: list[PlanWarning] = []
    adds: dict[str, list[str]] = defaultdict(list)
    removes: dict[str, list[str]] = defaultdict(list)
    owners = _alias_owners(live)

    for rid in sorted(desired.devices):
        want = desired.devices[rid]
        address = f"device/{rid}"
        have = live.devices.get(rid)
        if rid in live.device_errors:
            reason = live.device_errors[rid]
            if desired.project.unknown_devices == "error":
                problems.append(PlanProblem(address, f"cannot plan: {reason}"))
            else:
                warnings.append(
                    PlanWarning(
                        address,
                        "unknown_device",
                        f"{reason}; its tag and alias changes are left out (remove it from the "
                        "manifests, or set safety.unknown_devices: error to stop the plan)",
                    )
                )
            continue
        if rid in live.unreadable_devices or have is None:
            reason = live.unreadable_devices.get(rid, "its live state was not read")
            warnings.append(
                PlanWarning(
                    address,
                    "device_unreadable",
                    f"{reason}; its tag and alias changes are left out this time, so it may "
                    "still differ: run plan again",
                )
            )
            continue
        to_add = sorted(want.tags - have.tags - want.forbidden_tags)
        to_remove = sorted(
            (have.tags & want.forbidden_tags)
            | {t for t in have.tags if t not in want.tags and desired.is_exact_tag(t)}
        )
        total = len(have.tags) + len(to_add) - len(to_remove)
        if total > MAX_TAGS_PER_DEVICE:
            problems.append(
                PlanProblem(
                    address,
                    f"would carry {total} tags (live {len(have.tags)} + {len(to_add)} added "
                    f"- {len(to_remove)} removed), above the API limit of {MAX_TAGS_PER_DEVICE} "
                    "per device; remove some of its other tags or declare fewer",
                )
            )
        try:
            change = _device_change(desired, live, want, have, to_add, to_remove, owners)
        except _Unplannable as exc:
            if not exc.unreadable:
                problems.append(PlanProblem(address, str(exc)))
                continue
            warnings.append(
                PlanWarning(
                    address,
                    "device_unreadable",
                    f"{exc}; its tag and alias changes are left out this time, so it may still "
                    "differ: run plan again",
                )
            )
            continue
        if change is not None:
            changes.append(change)
            for tag in to_add:
                adds[tag].append(rid)
            for tag in to_remove:
                removes[tag].append(rid)

    for tag in sorted(adds.keys() | removes.keys()):
        changes.append(tag_change(tag, adds.get(tag, []), removes.get(tag, [])))
    return changes, problems, warnings


def _device_change(
    desired: DesiredState,
    live: LiveState,
    want: DesiredDevice,
    have: LiveDevice,
    to_add: list[str],
    to_remove: list[str],
    owners: dict[str, set[str]],
) -> Change | None:
    rid = have.registration_id
    requests: list[ApiRequest] = []
    fields: list[FieldChange] = []
    fingerprints = {f"device:{rid}": fingerprint_device(have)}
    reasons: list[str] = []
    new_alias = have.alias

    if want.alias == "" and have.alias:
        new_alias = ""
        requests.append(_alias_request(rid, ""))
        reasons.append("alias removed")
    elif want.alias:
        holders = sorted(owners.get(want.alias, set()) - {rid})
        unread = [h for h in holders if h not in live.devices]
        if unread:
            # Without its live state there is no fingerprint, so apply could not check it.
            holder = unread[0]
            if holder in live.unreadable_devices:  # a fault, not a verdict: a warning, as for rid
                raise _Unplannable(
                    f"alias {want.alias} is held by device/{holder}: "
                    f"{live.unreadable_devices[holder]}",
                    unreadable=True,
                )
            why = live.device_errors.get(holder, "its live state was not read")
            raise _Unplannable(f"cannot plan: alias {want.alias} is held by device/{holder}: {why}")
        for holder in holders:
            # Clearing a holder that is itself declared with another alias would race with its own
            # change; giving it that alias instead frees ours just the same, in any order.
            other = desired.devices.get(holder)
            keep = other.alias if other is not None and other.alias else ""
            requests.append(_alias_request(holder, keep))
            fingerprints[f"device:{holder}"] = fingerprint_device(live.devices[holder])
        if holders:
            moved = ", ".join(f"device/{h}" for h in holders)
            reasons.append(f"alias {want.alias} moves from {moved}")
        if want.alias != have.alias or holders:
            new_alias = want.alias
            requests.append(_alias_request(rid, want.alias))
            if not holders:
                reasons.append("alias bound" if not have.alias else "alias changed")

    if to_add:
        fields.append(FieldChange("tags.add", None, to_add))
        reasons.append(f"{len(to_add)} tag{'s' if len(to_add) != 1 else ''} added")
    if to_remove:
        fields.append(FieldChange("tags.remove", to_remove, None))
        reasons.append(f"{len(to_remove)} tag{'s' if len(to_remove) != 1 else ''} removed")
    if new_alias != have.alias:
        fields.append(FieldChange("alias", have.alias or None, new_alias or None))
    if not fields and not requests:
        return None
    after_tags = sorted((have.tags - set(to_remove)) | set(to_add))
    return Change(
        address=f"device/{rid}",
        action="update",
        before={"tags": sorted(have.tags), "alias": have.alias},
        after={"tags": after_tags, "alias": new_alias},
        fields=tuple(fields),
        requests=tuple(requests),
        fingerprints=fingerprints,
        reason="; ".join(reasons),
    )


class _Unplannable(Exception):
    """One device's change cannot be planned; it becomes a plan error, or a ``device_unreadable``
    warning when only a read that kept failing stands in the way. The others go on."""

    def __init__(self, message: str, *, unreadable: bool = False) -> None:
        super().__init__(message)
        self.unreadable = unreadable


def tag_change(tag: str, add: list[str], remove: list[str]) -> Change:
    """One ``tag/NAME`` change whose requests hold ≤ 1000 ids per add and per remove list."""
    add, remove = sorted(add), sorted(remove)
    n = max(-(-len(add) // TAG_CHUNK), -(-len(remove) // TAG_CHUNK))
    requests = []
    for i in range(n):
        ids: dict[str, list[str]] = {}
        chunk_add = add[i * TAG_CHUNK : (i + 1) * TAG_CHUNK]
        chunk_remove = remove[i * TAG_CHUNK : (i + 1) * TAG_CHUNK]
        if chunk_add:
            ids["add"] = chunk_add
        if chunk_remove:
            ids["remove"] = chunk_remove
        requests.append(ApiRequest("POST", tag_path(tag), {"registration_ids": ids}, "tag.update"))
    return Change(
        address=f"tag/{tag}",
        action="update",
        after={"add": len(add), "remove": len(remove)},
        requests=tuple(requests),
        reason=_tag_reason(len(add), len(remove), n),
    )


def _tag_reason(added: int, removed: int, requests: int) -> str:
    def devices(n: int) -> str:
        return f"{n} device{'s' if n != 1 else ''}"

    parts = [f"adds {devices(added)}"] if added else []
    parts += [f"removes {devices(removed)}"] if removed else []
    return f"{' and '.join(parts)} ({requests} request{'s' if requests != 1 else ''})"


def _alias_request(rid: str, alias: str) -> ApiRequest:
    return ApiRequest("POST", device_path(rid), {"alias": alias}, "device.update")


def _alias_owners(live: LiveState) -> dict[str, set[str]]:
    """Who holds each alias, from the alias look-ups and from the devices read."""
    owners: dict[str, set[str]] = defaultdict(set)
    for alias, rids in live.alias_owners.items():
        owners[alias].update(rids)
    for rid, device in live.devices.items():
        if device.alias:
            owners[device.alias].add(rid)
    return owners


__all__ = ["diff_devices", "tag_change"]
