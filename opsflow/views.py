from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from processes import access, selectors
from processes.phases import PHASES, PHASES_BY_SLUG

from . import health


@never_cache
@login_not_required
def healthz(request):
    result = health.status()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)


def home(request):
    user = request.user
    return render(
        request,
        "home.html",
        {
            "phases": PHASES,
            "roles": sorted(access.user_roles(user)),
            "department": user.department,
            "work": selectors.inbox_summary(user=user),
        },
    )


def phase(request, slug):
    try:
        current = PHASES_BY_SLUG[slug]
    except KeyError:
        raise Http404 from None
    return render(request, "phase.html", {"phase": current, "phases": PHASES})
