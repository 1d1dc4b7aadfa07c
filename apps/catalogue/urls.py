from django.urls import path

from apps.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.pack_detail, name="pack"),
]
