"""Demo data of pilots, by topic: ``pilot`` and ``rollout``."""
