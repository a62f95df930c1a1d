from .org import Department, User

__all__ = ["Department", "User"]
