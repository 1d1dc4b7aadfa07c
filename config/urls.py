from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

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
    path("admin/", admin.site.urls),
]
