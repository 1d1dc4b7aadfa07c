"""The OpenAPI schema and its two viewers, served by the app itself (no CDN).

# SECURITY: all three need a signed-in person or a key (SPECTACULAR_SETTINGS'
# SERVE_PERMISSIONS); an anonymous browser asking for a viewer is sent to sign in. The
# viewers' own scripts come from drf-spectacular-sidecar's static files; their injected
# styles need 'unsafe-inline' for style-src on these two pages only (scripts stay 'self').
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

VIEWER_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"], "img-src": ["data:"]}

schema_view = SpectacularAPIView.as_view()


def _viewer(view):
    return login_required(csp_update(VIEWER_CSP)(view))


swagger_view = _viewer(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
redoc_view = _viewer(SpectacularRedocView.as_view(url_name="api-schema"))
