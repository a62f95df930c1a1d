"""Page URLs of pilots, by topic: ``pilot`` (/pilots/) and ``rollout`` (/rollouts/)."""
