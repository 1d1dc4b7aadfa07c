from django.urls import path

from apps.api import web

app_name = "api_keys"

urlpatterns = [
    path("", web.key_list, name="list"),
    path("new/", web.key_issue, name="issue"),
    path("<uuid:public_id>/revoke/", web.key_revoke, name="revoke"),
]
