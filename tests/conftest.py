"""Session-wide fixtures shared by every test folder."""

pytest_plugins = ["tests.file_server"]
