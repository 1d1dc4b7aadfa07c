"""Scores in the Django admin: read-only (snapshots are written by score_record only)."""

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
        "baseline_met",
        "created_at",
    )
    list_filter = ("engine_version", "baseline_met", "pack")
    list_select_related = ("assessment", "pack")
    search_fields = ("public_id", "answers_sha256")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Score._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
