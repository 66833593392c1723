"""The hostile-feed corpus (data files + manifest.yaml) and the code that serves, curates and builds it."""
