"""/api/v1/ routes.

# SECURITY: object ids are UUID converters (a malformed id is a 404 before any query);
# every route below has a case in tests/security/test_api_isolation.py, which fails when
# a new one does not.
"""

from django.urls import path

from apps.api import views

app_name = "api"

urlpatterns = [
    path("whoami/", views.WhoAmIView.as_view(), name="whoami"),
    path("packs/", views.PackListView.as_view(), name="pack-list"),
    path("packs/<slug:slug>/", views.PackDetailView.as_view(), name="pack-detail"),
    path(
        "packs/<slug:slug>/controls/",
        views.PackControlListView.as_view(),
        name="pack-controls",
    ),
    path(
        "packs/<slug:slug>/scenarios/",
        views.PackScenarioListView.as_view(),
        name="pack-scenarios",
    ),
    path("assessments/", views.AssessmentListView.as_view(), name="assessment-list"),
    path(
        "assessments/<uuid:public_id>/",
        views.AssessmentDetailView.as_view(),
        name="assessment-detail",
    ),
    path(
        "assessments/<uuid:public_id>/answers/",
        views.AnswerListView.as_view(),
        name="assessment-answers",
    ),
    path(
        "assessments/<uuid:public_id>/answers/<slug:control>/dispute/",
        views.AnswerDisputeView.as_view(),
        name="answer-dispute",
    ),
    path(
        "assessments/<uuid:public_id>/submit/",
        views.AssessmentSubmitView.as_view(),
        name="assessment-submit",
    ),
    path(
        "assessments/<uuid:public_id>/score/",
        views.AssessmentScoreView.as_view(),
        name="assessment-score",
    ),
    path(
        "assessments/<uuid:public_id>/report/",
        views.AssessmentReportRequestView.as_view(),
        name="assessment-report",
    ),
    path("reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/<uuid:public_id>/", views.ReportDetailView.as_view(), name="report-detail"),
    path(
        "reports/<uuid:public_id>/download/",
        views.ReportDownloadView.as_view(),
        name="report-download",
    ),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/<uuid:public_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("invitations/", views.InvitationListView.as_view(), name="invitation-list"),
    path(
        "invitations/<uuid:public_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path(
        "compliance/summary/",
        views.ComplianceSummaryView.as_view(),
        name="compliance-summary",
    ),
    path("compliance/plan/", views.OrganisationPlanView.as_view(), name="compliance-plan"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path(
        "campaigns/<uuid:public_id>/",
        views.CampaignDetailView.as_view(),
        name="campaign-detail",
    ),
    path(
        "campaigns/<uuid:public_id>/assignments/",
        views.CampaignAssignmentListView.as_view(),
        name="campaign-assignments",
    ),
    path("audit-events/", views.AuditEventListView.as_view(), name="audit-event-list"),
]
