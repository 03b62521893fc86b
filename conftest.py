# Thin on purpose: the suite lives in the pytest plugin, src/msgconform/runner/plugin.py.
# An installed msgconform also loads it through its pytest11 entry point under this same name, so
# pytest registers it once; naming it here keeps `pytest suites` working without plugin autoload.
pytest_plugins = ["msgconform.runner.plugin"]
