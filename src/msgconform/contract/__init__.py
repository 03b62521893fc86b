"""The bundled contract: loading, versions and overlays, sources, error explanations."""
