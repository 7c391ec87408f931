import pytest

# The browser fixtures live in their own module (loaded through pytest_plugins): rewrite its asserts too.
pytest.register_assert_rewrite("tests.browser")
