from django.urls import path

from apps.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.your_data, name="your_data"),
    path("download", views.export, name="export"),
    path("close/", views.close_account, name="close"),
    path("closed/", views.closed, name="closed"),
]
