from django.conf import settings

from .site import menu_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SITE_NAME,
        "menu": menu_for(user, request.path) if user is not None and user.is_authenticated else [],
    }
