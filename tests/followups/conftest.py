from tests.emails.conftest import committed  # noqa: F401  (runs on-commit hooks: the worker)
