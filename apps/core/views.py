from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.health import broker_ready, database_ready


@require_GET
@never_cache
def healthz(request):
    """The process is up. No dependencies are checked, so an orchestrator won't restart
    a healthy web process because the database blipped."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Ready to serve: the database and the broker answer. 503 otherwise."""
    db_ok, db_detail = database_ready()
    broker_ok, broker_detail = broker_ready()
    ok = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "database": db_detail,
            "broker": broker_detail,
        },
        status=200 if ok else 503,
    )


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page says (it was a 404)."""
    path = finders.find("favicon.ico")
    if path is None:
        raise Http404("No favicon.")
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "public, max-age=86400"
    return response
