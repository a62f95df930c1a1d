"""Pages of metrics, by topic: ``dashboards``, ``evaluation``, ``indicators`` and ``reviews``."""
