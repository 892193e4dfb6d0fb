"""One library function per CLI command, wiring manifests, client, live, plan and apply.

The same wiring must hold for the CLI, for tests and for anyone scripting webpush-iac from
Python, so it lives here, silent: progress goes through a callback, results are returned,
failures raise :mod:`webpush_iac.errors` types.
"""

from webpush_iac.commands.connection import EMULATOR_DB, EMULATOR_TARGET, Connection, Target
from webpush_iac.commands.export import ExportRun, export_command
from webpush_iac.commands.operations import (
    ApplyRun,
    PlanRun,
    apply_command,
    audit_command,
    load_desired,
    plan_command,
    read_plan_file,
    write_plan_file,
)
from webpush_iac.commands.validate import (
    ValidateReport,
    render_command,
    schema_command,
    validate_command,
)

__all__ = [
    "EMULATOR_DB",
    "EMULATOR_TARGET",
    "ApplyRun",
    "Connection",
    "ExportRun",
    "PlanRun",
    "Target",
    "ValidateReport",
    "apply_command",
    "audit_command",
    "export_command",
    "load_desired",
    "plan_command",
    "read_plan_file",
    "render_command",
    "schema_command",
    "validate_command",
    "write_plan_file",
]
