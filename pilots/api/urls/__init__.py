"""REST URLs of pilots, by topic: ``pilot`` (/api/v1/pilots/) and ``rollout`` (/api/v1/rollouts/)."""
