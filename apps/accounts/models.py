"""People and the organisations they belong to.

A user signs in with their email address. Public identifiers are UUIDs; integer
keys never leave the server.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in to Portcullis. Email is the login; there is no username."""

    username = None
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Organisation(models.Model):
    """A body whose people are assessed: an MP's office, a party, an election body..."""

    class Kind(models.TextChoices):
        PARLIAMENTARY_OFFICE = "parliamentary_office", "Parliamentary office"
        PARTY = "party", "Political party"
        ELECTION_BODY = "election_body", "Election body"
        LOCAL_AUTHORITY_ELECTORAL = "la_electoral_services", "Local-authority electoral services"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.OTHER)
    # SECURITY: members need MFA unless their organisation explicitly opts out.
    mfa_required_for_members = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    PARLIAMENTARIAN = "parliamentarian", "Member of Parliament"
    PEER = "peer", "Peer"
    STAFF = "staff", "Staff"
    CANDIDATE = "candidate", "Candidate"
    ELECTION_OFFICIAL = "election_official", "Election official"


class Membership(models.Model):
    """A user's place in one organisation: their role and the audience they belong to.

    A user belongs to at most one organisation (enforced by the unique constraint), which
    keeps every scoping rule a single join. A staffer working for two offices has two
    accounts, which is also what the offices' own IT requires.
    """

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ORG_ADMIN = "org_admin", "Organisation admin"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    audience = models.CharField(max_length=32, choices=Audience.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def is_org_admin(self) -> bool:
        return self.role == self.Role.ORG_ADMIN


class Invitation(models.Model):
    """An emailed, signed, single-use, expiring invitation to join an organisation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Membership.Role.choices)
    audience = models.CharField(max_length=32, choices=Audience.choices)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organisation}"
