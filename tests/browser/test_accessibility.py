"""axe-core (from the npm registry, installed by `npm ci`) injected into the main pages: no serious or
critical accessibility violation (WCAG 2.1 A and AA rules), in English and in Chinese."""

import json
import shutil

import pytest

from tests.browser import REPO, artifacts_dir, log_in, switch_language, visit

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"

PAGES = [
    ("home", lambda ids: "/"),
    ("inbox", lambda ids: "/work/"),
    ("runs", lambda ids: "/work/runs/"),
    ("run", lambda ids: f"/work/runs/{ids['run']}/"),
    ("standards", lambda ids: "/standards/"),
    ("standard", lambda ids: f"/standards/versions/{ids['version']}/"),
    ("template2-edit", lambda ids: f"/standards/versions/{ids['draft']}/edit/"),
    ("project", lambda ids: f"/projects/{ids['project']}/"),
    ("template1", lambda ids: f"/projects/{ids['project']}/template1/"),
    ("pilot", lambda ids: f"/pilots/{ids['pilot']}/"),
    ("pilot-report", lambda ids: f"/pilots/{ids['pilot']}/report/"),
    ("rollout", lambda ids: f"/rollouts/{ids['plan']}/"),
    ("dashboard", lambda ids: "/metrics/"),
    ("evaluation", lambda ids: f"/metrics/evaluations/{ids['evaluation']}/"),
    ("cases", lambda ids: "/cases/"),
    ("notifications", lambda ids: "/work/notifications/"),
]


@pytest.fixture
def ids(demo_world):
    from metrics.models import Evaluation
    from pilots.models import Pilot, RolloutPlan
    from processes.models import ImprovementProject, Run, StandardVersion

    return {
        "run": Run.objects.order_by("pk").first().pk,
        "version": StandardVersion.objects.get(process__code="order-processing", status="published").pk,
        "draft": StandardVersion.objects.get(process__code="order-processing", status="draft").pk,
        "project": ImprovementProject.objects.first().pk,
        "pilot": Pilot.objects.first().pk,
        "plan": RolloutPlan.objects.first().pk,
        "evaluation": Evaluation.objects.first().pk,
    }


def _violations(page) -> list[str]:
    # axe is loaded by an init script (test below): a <script> tag added to the page would be refused
    # by the Content-Security-Policy, which allows no inline script
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    found = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


@pytest.mark.skipif(not AXE.exists() and shutil.which("npm") is None, reason="axe-core needs npm (npm ci installs it)")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_main_pages_have_no_serious_accessibility_violations(page, ids, language):
    assert AXE.exists(), "run `npm ci` (make install does) to install axe-core"
    page.add_init_script(path=str(AXE))  # on every page from now on, outside the page's CSP
    log_in(page, "director")  # sees every department
    if language != "en":
        switch_language(page, language)
    problems = {}
    for name, path in PAGES:
        visit(page, path(ids))
        found = _violations(page)
        if found:
            problems[name] = found
    (artifacts_dir() / f"axe-{language}.json").write_text(json.dumps(problems, indent=2, ensure_ascii=False))
    assert not problems, json.dumps(problems, indent=2, ensure_ascii=False)
