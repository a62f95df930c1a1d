from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.models.base import BilingualNameMixin, TimeStampedModel
from processes.models.standards import bilingual

from ..choices import (
    Computation,
    Direction,
    MeasurementSource,
    Source,
)


class Indicator(BilingualNameMixin, TimeStampedModel):
    """A measure of a process with one written definition, so every report counts it the same way."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("e.g. h, %, orders"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.LOWER)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MEASURED)
    computation = models.CharField(
        _("computation"),
        max_length=30,
        choices=Computation.choices,
        blank=True,
        help_text=_("For computed indicators."),
    )
    definition_en = models.TextField(_("definition (English)"), blank=True)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=Source.COMPUTED, computation=""), name="computed_indicator_has_computation"
            )
        ]

    @property
    def definition(self):
        return bilingual(self, "definition")

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


class Measurement(TimeStampedModel):
    """A value of an indicator measured outside OpsFlow for a period (entered, imported or posted)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="measurements"
    )
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="measurements"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    sample_size = models.PositiveIntegerField(
        _("observations"), null=True, blank=True, help_text=_("How many cases the value is computed from.")
    )
    numerator = models.PositiveIntegerField(
        _("cases counted"), null=True, blank=True, help_text=_("For a rate: the cases counted (e.g. complaints).")
    )
    source = models.CharField(_("source"), max_length=10, choices=MeasurementSource.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["-period_start", "indicator"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="measurement_period_order"
            ),
            models.UniqueConstraint(
                # per process (so per department): another department's key is never found from here
                fields=["indicator", "process", "external_id"],
                condition=~models.Q(external_id=""),
                name="measurement_external_id_unique_per_process",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "process", "period_start"])]

    def __str__(self):
        return f"{self.indicator} {self.period_start}–{self.period_end}: {self.value}"

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends before it starts.")
        if self.numerator is not None and self.sample_size is not None and self.numerator > self.sample_size:
            errors["numerator"] = _("Cannot count more cases than observations.")
        if errors:
            raise ValidationError(errors)
