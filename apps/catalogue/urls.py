from django.urls import path
from django.views.generic import TemplateView

app_name = "catalogue"
# Placeholder until the catalogue pages land (issue 3).
urlpatterns = [path("", TemplateView.as_view(template_name="base.html"), name="index")]
