import pytest
from django.urls import reverse

from processes import demo
from processes.models import StandardVersion

pytestmark = pytest.mark.django_db


def _formset_data(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{i}-{name}"] = value
    return data


def _post_data(departments, step_name="Check the parcel", limit="2"):
    data = {"goal_en": "Refund within 3 days", "scope_en": "All returns", "save": "1"}
    data |= _formset_data(
        "steps",
        [
            {
                "name_en": step_name,
                "department": departments["warehouse"].pk,
                "role": "ops_staff",
                "time_limit": limit,
                "time_unit": "hours",
                "ORDER": "2",
            },
            {
                "name_en": "Refund",
                "department": departments["sales"].pk,
                "role": "ops_staff",
                "time_limit": "1",
                "time_unit": "working_days",
                "ORDER": "1",
            },
        ],
    )
    data |= _formset_data("targets", [])
    data |= _formset_data("levels", [{"level": "1", "target": "supervisor", "after_hours": "0"}])
    data |= _formset_data(
        "plans", [{"trigger_en": "Parcel damaged", "response_limit": "4", "response_unit": "hours", "ORDER": "1"}]
    )
    return data


def test_create_process_then_fill_template_2(client, users, departments):
    client.force_login(users["specialist"])
    response = client.post(
        reverse("standards:process-create"),
        {"code": "returns", "name_en": "Returns", "department": departments["sales"].pk},
    )
    version = StandardVersion.objects.get(process__code="returns")
    assert response.status_code == 302 and response["Location"] == reverse("standards:version-edit", args=[version.pk])

    bad = _post_data(departments, step_name="", limit="-3")
    response = client.post(reverse("standards:version-edit", args=[version.pk]), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The standard was not saved" in html
    assert "This field is required." in html and "A time limit must be more than 0" in html
    assert "Refund within 3 days" in html  # typed text kept
    assert "Parcel damaged" in html  # nothing the user typed is lost
    assert version.steps.count() == 0

    response = client.post(reverse("standards:version-edit", args=[version.pk]), _post_data(departments))
    assert response.status_code == 302
    # the ORDER fields put "Refund" first
    assert list(version.steps.values_list("name_en", "position")) == [("Refund", 1), ("Check the parcel", 2)]
    assert version.exception_plans.get().trigger_en == "Parcel damaged"


def test_manager_approves_and_publishes_in_the_page(client, users, departments, org):
    demo.load_processes()
    published = StandardVersion.objects.get(process__code="order-processing")
    client.force_login(users["specialist"])
    response = client.post(reverse("standards:version-action", args=[published.pk, "new-draft"]))
    draft = StandardVersion.objects.get(process__code="order-processing", status="draft")
    assert response["Location"] == reverse("standards:version-edit", args=[draft.pk])
    client.post(reverse("standards:version-action", args=[draft.pk, "submit"]))
    client.force_login(users["manager"])
    page = client.get(reverse("standards:version-detail", args=[draft.pk])).content.decode()
    assert "Approve" in page
    client.post(reverse("standards:version-action", args=[draft.pk, "approve"]))
    client.post(reverse("standards:version-action", args=[draft.pk, "publish"]))
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == ("published", "superseded")
    compare = client.get(reverse("standards:version-compare", args=[draft.pk, published.pk])).content.decode()
    assert "The two versions are identical." in compare


def test_frozen_version_edit_page_redirects(client, users, org):
    demo.load_processes()
    published = StandardVersion.objects.get(process__code="order-processing")
    client.force_login(users["specialist"])
    response = client.get(reverse("standards:version-edit", args=[published.pk]))
    assert response.status_code == 302
    response = client.post(reverse("standards:version-edit", args=[published.pk]), {"goal_en": "x"})
    assert response.status_code == 400
    published.refresh_from_db()
    assert published.goal_en != "x"
