# Thin on purpose: the suite lives in the pytest plugin, src/msgconform/runner/plugin.py.
pytest_plugins = ["msgconform.runner.plugin"]
