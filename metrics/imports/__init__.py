"""File imports of metrics, by topic: ``indicators`` (measurements from CSV/XLSX)."""
