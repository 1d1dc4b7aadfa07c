from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from apps.api.schema_views import redoc_view, schema_view, swagger_view
from apps.assessments import views as assessment_views

# SECURITY: one way in. /admin/ login goes through allauth's login, so MFA, lockout and
# rate limits apply to staff exactly as to everyone else.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    # The member home page (their assessments, packs to start, trend) is the site root.
    path("", assessment_views.home, name="home"),
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("catalogue/", include("apps.catalogue.urls")),
    path("assessments/", include("apps.assessments.urls")),
    path("reports/", include("apps.reports.urls")),
    path("audit/", include("apps.audit.urls")),
    path("your-data/", include("apps.privacy.urls")),
    path("", include("apps.compliance.urls")),
    path("admin/", admin.site.urls),
    # The API for IT teams, its OpenAPI schema and viewers (signed-in people and keys
    # only), and the pages where an org admin issues keys.
    path("api/v1/", include("apps.api.urls")),
    path("api/schema/", schema_view, name="api-schema"),
    path("api/schema/swagger-ui/", swagger_view, name="api-swagger-ui"),
    path("api/schema/redoc/", redoc_view, name="api-redoc"),
    path("accounts/api-keys/", include("apps.api.urls_web")),
]

# RFC 9457 problem details for /api/ paths; the site's own pages elsewhere.
handler400 = "apps.api.problems.api_bad_request"
handler403 = "apps.api.problems.api_permission_denied"
handler404 = "apps.api.problems.api_not_found"
handler500 = "apps.api.problems.api_server_error"
