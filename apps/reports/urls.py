from django.urls import path

from apps.reports import views

app_name = "reports"
# SECURITY: every object is named by a UUID converter: "../", encoded separators or
# absolute paths never match and get 404 before any view runs. File names never appear.
urlpatterns = [
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/regenerate", views.regenerate, name="regenerate"),
    path("assessment/<uuid:public_id>/", views.status, name="status"),
    path("assessment/<uuid:public_id>/request", views.request_report, name="request"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/pdf", views.download_pdf, name="pdf"),
    path("<uuid:public_id>/html", views.download_html, name="html"),
]
