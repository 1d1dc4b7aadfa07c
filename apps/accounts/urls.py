from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("members/<uuid:public_id>/role/", views.member_change_role, name="member_change_role"),
    path(
        "members/<uuid:public_id>/deactivate/",
        views.member_deactivate,
        name="member_deactivate",
    ),
    path(
        "invitations/<uuid:public_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # Ours first: allauth's own path, so set-up ends on the new codes in our style.
    path("2fa/totp/activate/", views.activate_totp, name="activate_totp"),
    path("2fa/webauthn/add/", views.add_webauthn, name="add_webauthn"),
    path("2fa/recovery-codes/new/", views.new_recovery_codes, name="new_recovery_codes"),
    path(
        "2fa/recovery-codes/new/download/",
        views.new_recovery_codes_download,
        name="new_recovery_codes_download",
    ),
    path("sign-in-pass/<str:token>/", views.sign_in_pass, name="sign_in_pass"),
]
