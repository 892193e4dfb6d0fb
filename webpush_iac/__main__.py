"""Allow ``python -m webpush_iac`` to behave exactly like the ``webpush-iac`` script."""

from webpush_iac.cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
