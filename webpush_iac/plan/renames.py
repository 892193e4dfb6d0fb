"""Renames: pair a live ``prefix+OLD`` with the document that says ``renamed_from: OLD``, and warn
when an undeclared live task looks like the old copy of a new one.

Why it matters: a schedule is paired by its live name, so renaming ``metadata.name`` alone plans a
create beside the old copy; with prune off both copies stay live and both send. ``renamed_from``
makes the rename one PUT of the existing task (new name and any other changed section), never a
delete and a create. Once the rename has landed (OLD gone, NEW live) it is a no-op, so it may stay
in the manifest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from webpush_iac.plan.fingerprint import canonical_json
from webpush_iac.plan.model import Change, PlanProblem, PlanWarning
from webpush_iac.plan.normalize import normalize_desired, normalize_live
from webpush_iac.state import DesiredSchedule, LiveSchedule


def claim(
    want: DesiredSchedule, owned: dict[str, list[LiveSchedule]], prefix: str
) -> tuple[list[LiveSchedule], str | None, PlanProblem | None]:
    """Take the live copies a document pairs with out of ``owned``: its own live name, or else
    ``prefix + renamed_from``. Returns (copies, the OLD name when renaming, a problem)."""
    copies = owned.pop(want.live_name, [])
    if not want.renamed_from:
        return copies, None, None
    old_name = prefix + want.renamed_from
    if old_name == want.live_name or old_name not in owned:
        return copies, None, None  # landed (or never created): renamed_from is a no-op
    if not copies:
        return owned.pop(old_name), want.renamed_from, None
    ids = ", ".join(s.schedule_id for s in [*owned[old_name], *copies])
    return (
        copies,
        None,
        PlanProblem(
            f"schedule/{want.name}",
            f"renamed_from {want.renamed_from}: live {old_name} and {want.live_name} both exist "
            f"({ids}), so the rename cannot tell which one to keep; delete one of them by hand, "
            "or drop renamed_from (the old copy then shows as undeclared)",
        ),
    )


def likely_renames(
    creates: Sequence[tuple[DesiredSchedule, Change]],
    orphans: Sequence[LiveSchedule],
    prefix: str,
) -> list[PlanWarning]:
    """A create whose trigger and push equal an orphan's (owned, undeclared, prune off): most
    likely a rename without ``renamed_from``, and both copies would send."""
    by_trigger: dict[str, list[LiveSchedule]] = defaultdict(list)
    for orphan in orphans:
        by_trigger[canonical_json(normalize_live(orphan)["trigger"])].append(orphan)
    warnings = []
    for want, change in creates:
        after = normalize_desired(want)
        for orphan in by_trigger.get(canonical_json(after["trigger"]), []):
            if normalize_live(orphan, want)["push"] != after["push"]:
                continue
            old = orphan.name[len(prefix) :]
            warnings.append(
                PlanWarning(
                    change.address,
                    "likely_rename",
                    f"live {orphan.name} ({orphan.schedule_id}) has the same trigger and push and "
                    f"no document: if this is a rename, both copies will send; set "
                    f"metadata.renamed_from: {old} to rename it in place, or enable prune",
                )
            )
    return warnings


__all__ = ["claim", "likely_renames"]
