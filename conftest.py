"""Root conftest: our own test suite uses pytester to run the plugin the way users do."""

pytest_plugins = ["pytester"]
