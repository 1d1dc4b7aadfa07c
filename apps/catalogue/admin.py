"""Read-only admin for the catalogue: packs change only through `load_catalogue`, so
staff can look but not add, edit or delete here."""

from __future__ import annotations

from django.contrib import admin

from apps.catalogue.models import Control, Pack, Scenario, Section


class ReadOnlyAdmin(admin.ModelAdmin):
    # SECURITY: a catalogue edit in the admin would change what pinned assessments were
    # answered against, bypassing validation and versioning.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Pack)
class PackAdmin(ReadOnlyAdmin):
    list_display = ("slug", "version", "title", "loaded_at", "source_path")
    list_filter = ("slug",)
    search_fields = ("slug", "version", "title")
    ordering = ("slug", "-loaded_at")
    date_hierarchy = "loaded_at"
    exclude = ("content",)
    readonly_fields = ("public_id", "content_sha256")


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "pack", "order")
    list_filter = ("pack",)
    list_select_related = ("pack",)
    search_fields = ("key", "title")


@admin.register(Control)
class ControlAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "pack", "section", "effort", "critical")
    list_filter = ("pack", "effort", "critical")
    list_select_related = ("pack", "section")
    search_fields = ("key", "title", "question")


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "pack", "order")
    list_filter = ("pack",)
    list_select_related = ("pack",)
    search_fields = ("key", "title", "summary")
