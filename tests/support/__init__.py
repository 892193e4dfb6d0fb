"""Helpers shared by the tests; fixtures stay in the ``conftest.py`` files, nothing imports those.

``tests/`` itself is no package: pytest puts it on ``sys.path`` (its rootdir import), so helpers
are imported as ``support.<module>`` and ``tests/test_architecture.py`` finds ``architecture``.
Every folder below it has an ``__init__.py``, so two test files may share a name
(``plan/test_devices.py``, ``manifest/test_devices.py``); mypy names modules the same way
(``mypy_path`` and ``explicit_package_bases`` in pyproject.toml).

- ``constants``: credentials (the secret is a canary), paths, environments;
- ``manifests``: the one builder of manifest documents and trees (``apiVersion`` lives there);
- ``models``: manifest documents as data, and pydantic problems as users see them;
- ``broken_manifests``: the broken fixtures under ``tests/manifest/fixtures`` and what they expect;
- ``plan``: DesiredState / LiveState builders and finished plans for what consumes one;
- ``fake_api``: a stateful fake of the API behind ``httpx.MockTransport`` for apply's unit tests;
- ``mock_http``: a scripted ``httpx.MockTransport`` server for the client tests;
- ``emulator``: the emulator's ``/_emulator`` admin routes and an ASGI fault wrapper;
- ``e2e``: running the pipeline in process against the emulator app;
- ``cli``: the real ``python -m webpush_iac`` as a subprocess;
- ``reliability``: the news_site starting state and convergence checks of the reliability suites;
- ``progress``: reading counted progress events back.
"""
