"""Admin of pilots, by topic; importing the package registers every topic's models."""

from . import pilot, rollout  # noqa: F401
