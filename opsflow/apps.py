from django.apps import AppConfig


class OpsflowConfig(AppConfig):
    name = "opsflow"
    verbose_name = "OpsFlow"
