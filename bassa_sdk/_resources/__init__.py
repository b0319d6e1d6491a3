"""The clients' resources (session, users, downloads, queue, files), one module each."""
