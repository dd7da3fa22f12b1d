from fangpin.core.changelog import ChangeContext, _current


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
