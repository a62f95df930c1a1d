from django.apps import AppConfig


class OpsflowConfig(AppConfig):
    name = "opsflow"
    verbose_name = "OpsFlow"

    def ready(self):
        from . import security  # noqa: F401  (connects the login audit receivers)
        from .api import fields

        fields.install()  # free text in the API is held to a length
