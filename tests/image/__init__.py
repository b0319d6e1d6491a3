"""The container image: built from the Containerfile and run as the manifests run it."""
