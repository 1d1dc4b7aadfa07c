"""Rate limits per API key and per signed-in person, counted in the shared cache.

Rates come from API_THROTTLE_KEY_RATE and API_THROTTLE_USER_RATE. Over the limit: 429
with Retry-After (DRF's throttles give the wait; the problem handler keeps the header).
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from apps.api.principal import ApiKeyActor


class _SettingsRate(SimpleRateThrottle):
    def get_rate(self):
        # Read at each request (not frozen at import), so settings overrides apply.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class KeyRateThrottle(_SettingsRate):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if isinstance(request.user, ApiKeyActor):
            return self.cache_format % {"scope": self.scope, "ident": request.user.key.prefix}
        return None


class UserRateThrottle(_SettingsRate):
    scope = "api_user"

    def get_cache_key(self, request, view):
        user = request.user
        if user is not None and not isinstance(user, ApiKeyActor) and user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": user.pk}
        return None
