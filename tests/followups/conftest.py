from tests.emails.conftest import committed, smtp  # noqa: F401  (the worker's queue; a real SMTP peer)
