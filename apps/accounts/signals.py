"""Keep the MFA middleware's per-session cache honest when authenticators change."""

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver

from apps.accounts.middleware import forget_mfa_check


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _authenticators_changed(sender, request=None, **kwargs):
    forget_mfa_check(request)
