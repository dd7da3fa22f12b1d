from django.conf import settings
from django.utils import translation

from fangpin.core.changelog import ChangeContext, _current


class LanguageMiddleware:
    """Chinese first: the interface speaks the language the user chose with the switcher (a cookie), else
    Chinese — never the browser's Accept-Language, which on an English-language computer would surprise a
    Chinese office."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        return response


class ChangeContextMiddleware:
    """Every web or API request runs inside a change context naming the request (user resolved at write time)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        ctx = ChangeContext(source=source, request=request)
        request.request_id = ctx.request_id
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response
