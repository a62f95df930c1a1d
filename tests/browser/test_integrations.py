"""Integrations in the browser: a person makes, copies and revokes an API token; IT support sets up a
webhook and reads its delivery log."""

import pytest

from processes.models import ApiToken, WebhookDelivery
from processes.services import webhooks
from tests.browser import log_in, shot, visit
from tests.processes.test_webhooks import Receiver

pytestmark = pytest.mark.browser


def test_a_person_makes_sees_once_and_revokes_an_api_token(page, org):
    log_in(page, "sales")
    page.locator("nav.sidenav").get_by_role("link", name="My API tokens").click()
    assert page.locator("h1").inner_text() == "My API tokens"
    assert "You have no API tokens." in page.content()
    page.get_by_label("Name").fill("Order import")
    page.get_by_label("Expires after (days)").fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("opsflow_")
    assert page.get_by_text("it is shown only this once").is_visible()
    shot(page, "api-tokens-created")
    token = ApiToken.objects.get(name="Order import")
    assert secret.startswith(token.token_key)

    visit(page, "/integrations/tokens/")
    assert secret not in page.content() and token.token_key in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke Order import").click()
    assert "was revoked" in page.locator(".messages").inner_text()
    assert not ApiToken.objects.exists()


def test_it_support_sets_up_a_webhook_and_reads_the_delivery_log(page, org, settings):
    settings.OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on 127.0.0.1
    with Receiver() as receiver:
        receiver.fail_first = 1
        log_in(page, "it")
        page.locator("nav.sidenav").get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="New webhook").click()
        page.get_by_label("Name").fill("Warehouse system")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Run started").check()
        page.get_by_label("Step overdue").check()
        shot(page, "webhook-form")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        secret = page.locator("#webhook-secret").input_value()
        assert len(secret) >= 32 and page.get_by_text("shown only on this page").is_visible()
        with page.expect_navigation():
            page.get_by_role("link", name="Done").click()
        assert "Warehouse system" in page.locator("table").inner_text() and secret not in page.content()
        shot(page, "webhook-list")

        # an event (committed: the live server's database) is posted at once and refused with 500
        webhooks.emit("run.started", {"run": {"id": 1}}, "run.started:1")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
        WebhookDelivery.objects.update(status="failed")  # as if every attempt had failed

        page.get_by_role("link", name="Delivery log").click()
        row = page.locator("table tbody tr").first
        assert "run.started" in row.inner_text() and "500" in row.inner_text()
        shot(page, "webhook-deliveries")
        with page.expect_navigation():
            row.get_by_role("button", name="Redeliver").click()
        assert "queued again" in page.locator(".messages").inner_text()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_code) == ("delivered", 200)
        assert [r["status"] for r in receiver.requests] == [500, 200]
