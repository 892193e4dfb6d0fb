"""Reliability suites: crash-resume, seeded fault runs, hostile manifests and the secret canary."""
