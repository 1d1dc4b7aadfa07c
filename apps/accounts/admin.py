"""Django admin for platform staff. Invitations are issued from the app, not from here.

# SECURITY: every change that matters here (privileges, roles, second factors, removals)
goes through the same audited services the app uses; the admin only collects the input.
"""

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts import services
from apps.accounts.models import Invitation, Membership, Organisation, User


def _refused(request, exc) -> None:
    text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, f"Not changed: {text}")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    # Groups and per-user permissions are not used by the service; privileges are the
    # three flags, changed through user_change_privileges (audited).
    fieldsets = [
        (None, {"fields": ["email", "password", "public_id"]}),
        ("Person", {"fields": ["full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    actions = None

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        wanted = {
            name: form.cleaned_data[name]
            for name in services.PRIVILEGE_FIELDS
            if name in form.changed_data
        }
        original = User.objects.get(pk=obj.pk)
        for name in wanted:  # the other fields are saved here; privileges by the service
            setattr(obj, name, getattr(original, name))
        super().save_model(request, obj, form, change)
        if wanted:
            try:
                services.user_change_privileges(actor=request.user, user=obj, **wanted)
            except (ValidationError, PermissionDenied) as exc:
                _refused(request, exc)

    def has_delete_permission(self, request, obj=None):
        return False  # people close their own account; staff deactivate

    def user_change_password(self, request, id, form_url=""):
        # SECURITY: staff setting someone's password is a takeover path: audited, and the
        # person's sessions end (services.user_password_set_by_staff).
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            services.user_password_set_by_staff(actor=request.user, user=user)
        return response


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "audience", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # people join through invitations

    def has_change_permission(self, request, obj=None):
        return False  # roles change in Memberships (audited)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "mfa_required_for_members", "created_at"]
    list_filter = ["kind", "mfa_required_for_members"]
    search_fields = ["name"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "audience"]
    list_filter = ["role", "audience", "organisation"]
    search_fields = ["user__email", "organisation__name"]
    fields = ["user", "organisation", "role", "audience", "public_id", "created_at"]
    readonly_fields = ["user", "organisation", "public_id", "created_at"]
    actions = None

    def has_add_permission(self, request):
        return False  # people join through invitations

    def save_model(self, request, obj, form, change):
        wanted_role = obj.role
        original = Membership.objects.get(pk=obj.pk)
        obj.role = original.role
        super().save_model(request, obj, form, change)
        if wanted_role != original.role:
            try:
                services.membership_change_role(
                    actor=request.user, membership=obj, role=wanted_role
                )
            except (ValidationError, PermissionDenied) as exc:
                _refused(request, exc)

    def delete_model(self, request, obj):
        services.membership_remove_by_staff(actor=request.user, membership=obj)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["organisation"]
    search_fields = ["email"]
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False  # invitations carry a signed link and an email: use the members page


# allauth's own admin would delete a second factor, and show its encrypted secret, with no
# audit event: staff see the list and remove through the audited service.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.authenticator_remove_by_staff(actor=request.user, authenticator=obj)
