"""Scores in the Django admin: read-only (snapshots are written by score_record only).

# SECURITY: only the snapshot's bookkeeping is shown. A person's exposures, bands, plan and
# baseline flag are what the compliance app shows an org admin after a stated, audited
# reason; platform staff have no such reason in the admin, so those fields are left out.
"""

from __future__ import annotations

from django.contrib import admin

from apps.scoring.models import Score


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "assessment",
        "pack",
        "engine_version",
        "created_at",
    )
    list_filter = ("engine_version", "pack")
    list_select_related = ("assessment", "pack")
    search_fields = ("public_id", "answers_sha256")
    date_hierarchy = "created_at"
    fields = ("public_id", "assessment", "pack", "engine_version", "answers_sha256", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
