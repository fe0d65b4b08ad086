# The browser fixtures (system Chromium through Playwright) are shared with tests/e2e.
from tests.e2e.conftest import artifacts, browser, page  # noqa: F401
