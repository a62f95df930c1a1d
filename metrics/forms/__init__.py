"""Forms of metrics, by topic: ``evaluation``, ``indicators`` and ``reviews``."""
