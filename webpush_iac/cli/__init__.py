"""The thin click layer: parse options, call one ``commands`` function, render, exit.

The only package that imports click and the only one that writes to stdout/stderr.
"""

from webpush_iac.cli import manifests, reconcile, serve
from webpush_iac.cli.app import cli
from webpush_iac.cli.signals import terminate_on_sigterm

_EXAMPLES = {
    "validate": ["validate examples/quickstart", "validate examples/* --format json"],
    "render": ["render examples/quickstart", "render manifests/ --format json > payloads.json"],
    "schema": ["schema --out schemas/"],
    "plan": [
        "plan examples/quickstart --emulator",
        "plan manifests/ --baseline origin/main --format markdown --out plan.json > plan.md",
        "plan manifests/ --detailed-exitcode   # 0 no changes, 2 changes",
    ],
    "apply": [
        "apply examples/quickstart --emulator --auto-approve",
        "apply --plan plan.json   # exactly the reviewed requests, refused if stale",
    ],
    "audit": ["audit manifests/ --format markdown   # exit 2 on drift"],
    "export": [
        "export --out imported/ --registration-ids devices.txt",
        "export manifests/ --out imported/   # the prefix and credentials of manifests/",
    ],
}
for _name, _lines in _EXAMPLES.items():
    cli.commands[_name].epilog = "\b\nExamples:\n" + "\n".join(f"  webpush-iac {x}" for x in _lines)


def main() -> None:
    """Console-script entry point."""
    terminate_on_sigterm()
    cli(prog_name="webpush-iac")


__all__ = ["cli", "main", "manifests", "reconcile", "serve"]
