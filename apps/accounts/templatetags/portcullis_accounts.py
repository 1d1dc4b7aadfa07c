from django import template

from apps.accounts.selectors import user_has_mfa, user_requires_mfa

register = template.Library()


@register.simple_tag(takes_context=True)
def mfa_enrolment_needed(context) -> bool:
    """True when the signed-in person must set up a second factor before anything else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and user_requires_mfa(user=user)
        and not user_has_mfa(user=user)
    )
