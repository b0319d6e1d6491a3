"""The client's resources: session, users, downloads, queue and files."""
