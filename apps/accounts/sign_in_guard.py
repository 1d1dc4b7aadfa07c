"""Failed sign-ins for one account from many addresses: friction the holder can pass.

# SECURITY: a hard per-account limit lets anyone lock an MP out before a vote (issue 12:
# 24 wrong passwords from 6 addresses did). So failures for one account are counted across
# every address (password and second-factor steps alike, in the shared cache) and:
# - at SIGN_IN_ALERT_THRESHOLD the person and their organisation's admins are emailed, and
#   the person sees a notice at their next sign-in (`sign_in_failures_since_last`);
# - at SIGN_IN_GUARD_THRESHOLD signing in to that account also needs a pass: a one-time link
#   emailed to the person sets a signed cookie in the browser that opens it. Whoever holds
#   the mailbox passes; an attacker without it meets the refusal, which reads the same for
#   known and unknown addresses.
# axes' per-account-and-address lock stays below all this.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from apps.accounts.models import Membership, User
from apps.accounts.selectors import organisation_for_user, user_get_by_email
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

SIGN_IN_GUARDED_MESSAGE = (
    "There have been many failed attempts to sign in to this account from different "
    "places, so signing in now also needs a link we have emailed to the account's owner. "
    "Open that link in this browser, then sign in."
)
PASS_COOKIE = "portcullis_sign_in_pass"
PASS_LINK_SALT = "portcullis.sign-in-pass.link"
PASS_COOKIE_SALT = "portcullis.sign-in-pass.cookie"
PASS_LINK_MAX_AGE = 3600
# At most one pass link per account per this long, however many refusals.
PASS_LINK_RESEND_AFTER = 3600


def _key(login: str, part: str) -> str:
    digest = hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]
    return f"sign-in-guard:{part}:{digest}"


def _count(login: str, part: str) -> int:
    return int(cache.get(_key(login, part)) or 0)


def _increment(login: str, part: str) -> int:
    key = _key(login, part)
    cache.add(key, 0, timeout=settings.SIGN_IN_FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.SIGN_IN_FAILURE_WINDOW)
        return 1


def sign_in_failure_record(*, login: str, second_factor: bool = False) -> int:
    """Count one failed sign-in for `login` (any address); alert once the threshold is met.

    `second_factor`: the password was right and the code wrong, which means someone else
    may know the password; the alert says so. Returns the failures in the window.
    """
    login = (login or "").strip().lower()
    if not login:
        return 0
    failures = _increment(login, "failures")
    if second_factor:
        _increment(login, "second-factor")
    if failures >= settings.SIGN_IN_ALERT_THRESHOLD and cache.add(
        _key(login, "alerted"), 1, timeout=settings.SIGN_IN_FAILURE_WINDOW
    ):
        user = user_get_by_email(email=login)
        if user is not None:
            _send_alert(user=user, failures=failures, second_factor=_count(login, "second-factor"))
    return failures


def _org_admins_of(user: User) -> list[str]:
    organisation = organisation_for_user(user=user)
    if organisation is None:
        return []
    return list(
        Membership.objects.filter(
            organisation=organisation, role=Membership.Role.ORG_ADMIN, user__is_active=True
        )
        .exclude(user=user)
        .values_list("user__email", flat=True)
    )


def _send_alert(*, user: User, failures: int, second_factor: int) -> None:
    context = {
        "user": user,
        "failures": failures,
        "second_factor": second_factor,
        "window_hours": settings.SIGN_IN_FAILURE_WINDOW // 3600,
        "security_url": f"{settings.SITE_URL}{reverse('mfa_index')}",
        "password_url": f"{settings.SITE_URL}{reverse('account_change_password')}",
    }
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Failed attempts to sign in to your account"
    send_mail(
        subject=subject,
        message=render_to_string("accounts/email/sign_in_alert_person.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    admins = _org_admins_of(user)
    if admins:
        # The admins learn that someone is being targeted, and whom; never the codes.
        send_mail(
            subject=(
                f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Failed attempts to sign in as "
                f"{user.display_name}"
            ),
            message=render_to_string("accounts/email/sign_in_alert_admin.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=admins,
        )
    audit_record(
        actor=None,
        actor_label="system",
        action="login.attack_alerted",
        organisation=organisation_for_user(user=user),
        subject=user,
        detail={"failures": failures, "second_factor_failures": second_factor, "admins": admins},
    )


# --- The guard: past the higher threshold, a pass from the person's mailbox ----------------


def _holds_pass(request, user: User | None) -> bool:
    if user is None:
        return False
    value = request.COOKIES.get(PASS_COOKIE, "")
    try:
        payload = signing.loads(
            value, salt=PASS_COOKIE_SALT, max_age=settings.SIGN_IN_FAILURE_WINDOW
        )
    except signing.BadSignature:
        return False
    return payload.get("u") == user.pk


def sign_in_guard_refuses(request, *, login: str) -> bool:
    """True when `login` is past the guard threshold and this browser holds no pass for it.

    On refusal the person is emailed a pass link (at most once an hour) and the refusal is
    audited. Unknown addresses are refused alike, with nothing sent.
    """
    login = (login or "").strip().lower()
    if not login or _count(login, "failures") < settings.SIGN_IN_GUARD_THRESHOLD:
        return False
    user = user_get_by_email(email=login)
    if _holds_pass(request, user):
        return False
    audit_record(
        actor=None,
        action="login.guarded",
        outcome=AuditEvent.Outcome.DENIED,
        organisation=organisation_for_user(user=user) if user else None,
        subject=user,
        detail={"login": login[:254]},
    )
    if user is not None and cache.add(_key(login, "pass-sent"), 1, timeout=PASS_LINK_RESEND_AFTER):
        _send_pass_link(user=user)
    return True


def _send_pass_link(*, user: User) -> None:
    token = signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(16)}, salt=PASS_LINK_SALT)
    context = {
        "user": user,
        "url": f"{settings.SITE_URL}{reverse('accounts:sign_in_pass', args=[token])}",
        "minutes": PASS_LINK_MAX_AGE // 60,
    }
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your link to sign in",
        message=render_to_string("accounts/email/sign_in_pass.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


class PassLinkUnusable(Exception):
    """The link is tampered with, expired or already used."""


def sign_in_pass_redeem(*, token: str) -> tuple[User, str]:
    """Use a pass link once: returns its user and the signed cookie value to set."""
    try:
        payload = signing.loads(token, salt=PASS_LINK_SALT, max_age=PASS_LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise PassLinkUnusable from exc
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or not cache.add(
        f"sign-in-guard:pass-used:{payload.get('n')}", 1, timeout=PASS_LINK_MAX_AGE
    ):
        raise PassLinkUnusable
    audit_record(
        actor=None,
        action="login.pass_redeemed",
        organisation=organisation_for_user(user=user),
        subject=user,
    )
    return user, signing.dumps({"u": user.pk}, salt=PASS_COOKIE_SALT)


# --- The notice at the next sign-in ---------------------------------------------------------


def sign_in_failures_since_last(*, user: User) -> tuple[int, int]:
    """Failed attempts on `user`'s account since their previous sign-in, from the audit
    record: (all failures, of which at the second-factor step)."""
    previous = (
        AuditEvent.objects.filter(action="login.succeeded", subject=user)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    password = Q(action="login.failed", detail__login=user.email.lower())
    second = Q(action="mfa.failed", subject=user, detail__reauthentication=False)
    events = AuditEvent.objects.filter(password | second)
    if previous is not None:
        events = events.filter(occurred_at__gt=previous)
    counts = {row["action"]: row["n"] for row in _count_by_action(events)}
    second_factor = counts.get("mfa.failed", 0)
    return counts.get("login.failed", 0) + second_factor, second_factor


def _count_by_action(events):
    from django.db.models import Count

    return events.order_by().values("action").annotate(n=Count("pk"))
