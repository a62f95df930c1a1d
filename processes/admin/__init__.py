"""The admin site's pages of the processes app, one module per topic (Django's admin autodiscovery
imports this package, which imports every topic so each registers its models)."""

from . import (
    calendar,  # noqa: F401  (business calendar pages)
    integrations,  # noqa: F401  (everybody's API tokens)
    notifications,  # noqa: F401  (notifications and their deliveries, read-only)
    org,  # noqa: F401  (departments, people, roles and their audit trail)
    standards,  # noqa: F401  (processes and standard versions)
)
