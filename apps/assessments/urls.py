from django.urls import path

from apps.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/<uuid:pack_id>/", views.start, name="start"),
    path("<uuid:public_id>/", views.resume, name="resume"),
    path("<uuid:public_id>/section/<slug:section_id>/", views.section, name="section"),
    path("<uuid:public_id>/answer/", views.answer, name="answer"),
    path("<uuid:public_id>/review/", views.review, name="review"),
    path("<uuid:public_id>/submit/", views.submit, name="submit"),
    path("<uuid:public_id>/results/", views.results, name="results"),
    path("<uuid:public_id>/reassess/", views.reassess, name="reassess"),
    path("<uuid:public_id>/dispute/<slug:control_id>/", views.dispute, name="dispute"),
]
