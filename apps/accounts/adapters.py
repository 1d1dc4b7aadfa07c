from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation, never by open sign-up."""

    def is_open_for_signup(self, request):
        # SECURITY: the invitation flow creates users itself; allauth's signup stays closed.
        return False
