"""Catalogue pages: the packs, their controls and their attack trees, for any signed-in
user. Read-only: packs change only through `manage.py load_catalogue`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.catalogue import selectors


@require_GET
@login_required
def index(request):
    return render(request, "catalogue/index.html", {"packs": selectors.pack_list_latest()})


@require_GET
@login_required
def pack_detail(request, slug: str):
    version = request.GET.get("version") or None
    page = selectors.pack_page(slug=slug, version=version)
    return render(request, "catalogue/pack_detail.html", {"page": page, "pack": page.pack})
