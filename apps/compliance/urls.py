from django.urls import path

from apps.compliance import views

app_name = "compliance"
# SECURITY: objects are named by UUID converters; exports by a fixed word and format
# (checked against exports.KINDS/FORMATS, anything else is 404). Every view scopes to the
# requester's own organisation through apps/compliance/selectors.py.
urlpatterns = [
    path("organisation/", views.dashboard, name="dashboard"),
    path("organisation/snapshot", views.snapshot, name="snapshot"),
    path("organisation/campaigns/new", views.campaign_new, name="campaign_new"),
    path("organisation/people/", views.members, name="members"),
    path(
        "organisation/assessments/<uuid:public_id>/open",
        views.open_detail,
        name="open_detail",
    ),
    path(
        "organisation/assessments/<uuid:public_id>/open/record",
        views.open_detail_record,
        name="open_detail_record",
    ),
    path("organisation/disputes/", views.disputes, name="disputes"),
    path(
        "organisation/disputes/<uuid:public_id>/open",
        views.disputes_open,
        name="disputes_open",
    ),
    path(
        "organisation/disputes/<uuid:public_id>/open/record",
        views.disputes_open_record,
        name="disputes_open_record",
    ),
    path("organisation/export/<slug:kind>.<slug:fmt>", views.export, name="export"),
    path("assignments/<uuid:public_id>/start", views.assignment_start, name="assignment_start"),
    path("privacy/who-has-seen-my-answers", views.seen_my_answers, name="seen_my_answers"),
]
