"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from apps.accounts.models import Audience, Invitation, Membership, Organisation, User

TEST_PASSWORD = "correct horse battery staple"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.PARLIAMENTARY_OFFICE


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified email and, unless `with_mfa=False`, a TOTP authenticator."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)

    @factory.post_generation
    def with_mfa(self, create, extracted, **kwargs):
        if create and extracted is not False:
            TOTP.activate(self, TEST_TOTP_SECRET)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER
    audience = Audience.PARLIAMENTARIAN


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Membership.Role.MEMBER
    audience = Audience.STAFF
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
