from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


class BilingualNameMixin(models.Model):
    """A name kept in English and Simplified Chinese; ``name`` reads the one of the active language."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        if is_chinese() and self.name_zh:
            return self.name_zh
        return self.name_en


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True
