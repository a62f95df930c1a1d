from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class OpsflowConfig(AppConfig):
    # default: this module also holds StaticFilesConfig, and with two configs and no default Django
    # would give "opsflow" a plain AppConfig whose ready() installs nothing
    default = True
    name = "opsflow"
    verbose_name = "OpsFlow"

    def ready(self):
        from . import security  # noqa: F401  (connects the login audit receivers)
        from .api import fields

        fields.install()  # free text in the API is held to a length


# The django-viewflow 2.4.0 wheel ships, next to the assets its templates load, the npm folders it built
# them from (13 MB). Nothing loads those copies (viewflow's templates link viewflow/css/*.css,
# viewflow/js/*.js and viewflow/fonts/<font>/<font>.css, whose fonts sit beside them), and one of them,
# roboto-fontface/css/roboto/roboto-fontface.css, references fonts the wheel does not ship, so the
# manifest storage (rightly strict) refuses to collect it. collectstatic leaves exactly these folders
# out; every other file, ours above all, is still hashed and checked.
VIEWFLOW_NPM_LEFTOVERS = [
    "viewflow/css/node_modules/*",
    "viewflow/js/node_modules/*",
    "viewflow/fonts/material-icons/node_modules/*",
    "viewflow/fonts/roboto/node_modules/*",
    "viewflow/fonts/simple-icons/node_modules/*",
]


class StaticFilesConfig(DjangoStaticFilesConfig):
    """django.contrib.staticfiles, collecting without viewflow's unreferenced npm leftovers."""

    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, *VIEWFLOW_NPM_LEFTOVERS]
