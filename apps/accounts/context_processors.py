from django.utils.functional import SimpleLazyObject

from apps.accounts.selectors import membership_for_user


def current_membership(request):
    """`current_membership` in every template, looked up only if a template uses it."""
    return {
        "current_membership": SimpleLazyObject(
            lambda: membership_for_user(user=getattr(request, "user", None))
        )
    }
