"""Read side of pilots, by topic: ``pilot`` and ``rollout``."""
