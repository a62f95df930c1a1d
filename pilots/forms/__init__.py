"""Forms of pilots, by topic: ``pilot`` and ``rollout``."""
