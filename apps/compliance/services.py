"""Writes for organisation compliance: launching campaigns, assigning people, starting an
assessment from an assignment, recording an admin's view of someone's answers, reminders,
snapshots and the scheduled round that runs them.

Every function checks who is acting, opens its transaction and records audit events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Audience, Membership
from apps.assessments.models import Assessment
from apps.audit.services import audit_record
from apps.compliance import selectors
from apps.compliance.models import Assignment, Campaign, ReminderSent, Snapshot

logger = logging.getLogger(__name__)

DETAIL_REASONS = (
    "Following up an overdue assessment",
    "Preparing support for this person",
    "Responding to a security incident",
    "The person asked me to",
)
# Opening someone's disputed answers: usually to check them against the IT team's systems.
DISPUTE_REASONS = ("Checking the dispute against what our systems report", *DETAIL_REASONS)
DETAIL_WHAT = {"answers": "answers", "report": "report"}
MAX_REASON_LENGTH = 300
ELECTION_LEAD_DAYS = 42  # the pre-election round opens six weeks before polling day


class CampaignError(ValidationError):
    """A campaign request that cannot be carried out (the message says why)."""


# --- campaigns --------------------------------------------------------------------------------


def _parse_days(raw: str) -> str:
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    if len(parts) > 6 or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
        raise CampaignError(
            {"remind_days_before": "Give up to six numbers of days between 1 and 90, like 14,3."}
        )
    return ",".join(str(d) for d in sorted({int(p) for p in parts}, reverse=True))


def _members_for(*, organisation, audience: str, user_ids) -> list[Membership]:
    members = Membership.objects.filter(organisation=organisation, user__is_active=True)
    if audience:
        members = members.filter(audience=audience)
    else:
        members = members.filter(user__public_id__in=list(user_ids))
    return list(members.select_related("user"))


@transaction.atomic
def campaign_launch(
    *,
    actor,
    pack,
    due_date: date,
    name: str = "",
    audience: str = "",
    people=(),
    recurrence: str = Campaign.Recurrence.NONE,
    election_date: date | None = None,
    remind_days_before: str = "7,1",
    overdue_every_days: int = 7,
    previous: Campaign | None = None,
) -> Campaign:
    """Launch a campaign for the actor's organisation: one pack, for an audience or for
    named people (public ids of users), due on `due_date`. Creates an assignment for each
    current, active person it concerns (and later joiners get theirs on joining).

    Refused with CampaignError (nothing created) for a due date in the past, neither or
    both of audience and people, an audience the pack is not for, named people outside
    the organisation, or an election recurrence without an election date after the due
    date."""
    membership = selectors.admin_membership_or_404(user=actor)
    organisation = membership.organisation
    today = timezone.localdate()
    errors = {}
    if due_date is None or due_date < today:
        errors["due_date"] = "The due date must be today or later."
    if audience and people:
        errors["audience"] = "Choose an audience or name people, not both."
    elif not audience and not people:
        errors["audience"] = "Choose who the campaign is for: an audience, or people by name."
    if audience and audience not in Audience.values:
        errors["audience"] = "Choose one of the audiences in the list."
    elif audience and audience not in (pack.audiences or []):
        errors["audience"] = "This questionnaire is not meant for that audience."
    if recurrence not in Campaign.Recurrence.values:
        errors["recurrence"] = "Choose how often the campaign repeats."
    elif recurrence == Campaign.Recurrence.ELECTION and (
        election_date is None or due_date is None or election_date <= due_date
    ):
        errors["election_date"] = "Give the election date, after the due date."
    if overdue_every_days is None or not 0 <= int(overdue_every_days) <= 90:
        errors["overdue_every_days"] = "Give a number of days between 0 and 90."
    try:
        remind_days_before = _parse_days(remind_days_before)
    except CampaignError as exc:
        errors.update(exc.message_dict)
    members = []
    if not errors:
        members = _members_for(organisation=organisation, audience=audience, user_ids=people)
        if people and len(members) != len(set(people)):
            errors["people"] = "Choose people from your organisation's current members."
        elif people and any(m.audience not in (pack.audiences or []) for m in members):
            errors["people"] = "This questionnaire is not meant for some of the people chosen."
    if errors:
        raise CampaignError(errors)
    name = (name or "").strip()[:200] or f"{pack.title} – due {due_date:%-d %B %Y}"
    campaign = Campaign.objects.create(
        organisation=organisation,
        name=name,
        pack_slug=pack.slug,
        pack_title=pack.title,
        audience=audience,
        due_date=due_date,
        recurrence=recurrence,
        election_date=election_date if recurrence == Campaign.Recurrence.ELECTION else None,
        remind_days_before=remind_days_before,
        overdue_every_days=int(overdue_every_days),
        previous=previous,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    Assignment.objects.bulk_create(
        [Assignment(campaign=campaign, user_id=m.user_id) for m in members]
    )
    audit_record(
        actor=actor,
        action="campaign.launched",
        organisation=organisation,
        obj=campaign,
        detail={
            "pack": pack.slug,
            "audience": audience,
            "people": len(members),
            "due_date": due_date.isoformat(),
        },
    )
    return campaign


def assignments_create_for_member(*, membership: Membership) -> int:
    """Assign a person who joined (or changed audience) to their organisation's open
    campaigns for their audience. Idempotent. Returns how many assignments were made."""
    if not membership.user.is_active:
        return 0
    today = timezone.localdate()
    campaigns = Campaign.objects.filter(
        organisation_id=membership.organisation_id,
        audience=membership.audience,
        due_date__gte=today,
    ).exclude(assignments__user_id=membership.user_id)
    created = Assignment.objects.bulk_create(
        [Assignment(campaign=c, user_id=membership.user_id) for c in campaigns],
        ignore_conflicts=True,
    )
    return len(created)


def assignments_catch_up() -> int:
    """Assign every current member who is missing from an open campaign for their
    audience (people added by other routes than an invitation). Part of the round."""
    today = timezone.localdate()
    made = 0
    for campaign in Campaign.objects.filter(due_date__gte=today).exclude(audience=""):
        missing = (
            Membership.objects.filter(
                organisation_id=campaign.organisation_id,
                audience=campaign.audience,
                user__is_active=True,
            )
            .exclude(user__assignments__campaign=campaign)
            .values_list("user_id", flat=True)
        )
        rows = [Assignment(campaign=campaign, user_id=uid) for uid in missing]
        if rows:
            made += len(Assignment.objects.bulk_create(rows, ignore_conflicts=True))
    return made


def assignment_start(*, actor, assignment: Assignment) -> Assessment:
    """Start (or carry on) the assessment an assignment asks for, and link it: that is
    the assessment that counts for the campaign. The caller got `assignment` from
    `assignment_get_for_member` (the actor's own)."""
    from apps.assessments.services import assessment_start
    from apps.catalogue.selectors import pack_latest

    if assignment.user_id != actor.pk:
        raise Http404("No such assignment.")
    if assignment.assessment is not None and not assignment.assessment.is_submitted:
        return assignment.assessment
    if assignment.assessment is not None and assignment.assessment.is_submitted:
        return assignment.assessment
    pack = pack_latest(slug=assignment.campaign.pack_slug)
    with transaction.atomic():
        assessment = assessment_start(actor=actor, pack=pack)
        Assignment.objects.filter(pk=assignment.pk, assessment__isnull=True).update(
            assessment=assessment
        )
    assignment.assessment = assessment
    return assessment


# --- an admin opens one person's detail -------------------------------------------------------


def clean_reason(*, choice: str, typed: str, reasons=DETAIL_REASONS) -> str:
    """The reason an admin gives: one of `reasons`, or their own words ("other")."""
    choice = (choice or "").strip()
    typed = " ".join((typed or "").split())[:MAX_REASON_LENGTH]
    if choice in reasons:
        return choice
    if choice == "other" and len(typed) >= 5:
        return typed
    raise ValidationError({"reason": "Say why you need to see this person's answers."})


def detail_view_record(*, actor, assessment: Assessment, what: str, reason: str):
    """Record, before anything is shown, that `actor` opens `assessment`'s answers or
    report and why. The event is committed here (its own transaction): if it cannot be
    written the caller gets the exception and sends nothing. It appears on the person's
    "who has seen my answers" page."""
    if what not in DETAIL_WHAT:
        raise ValidationError({"what": "Unknown page."})
    # SECURITY: re-check scope here too, whatever the caller did: a current, active
    # member of the actor's own organisation, a submitted assessment.
    scoped = selectors.member_assessment_for_admin(user=actor, public_id=assessment.public_id)
    return _detail_viewed(actor=actor, scoped=scoped, what=what, reason=reason)


def disputes_view_record(*, actor, assessment: Assessment, reason: str):
    """Record, before anything is shown, that `actor` opens the answers `assessment`'s
    person disputes (each with what the IT team confirmed) and why. Like
    `detail_view_record`: committed here, on the person's "who has seen my answers" page,
    and the caller shows nothing if it cannot be written."""
    from apps.assessments.selectors import dispute_assessment_for_admin

    # SECURITY: re-check scope here too: a current, active member of the actor's own
    # organisation (the assessment may still be open: disputes happen before submitting).
    scoped = dispute_assessment_for_admin(user=actor, public_id=assessment.public_id)
    return _detail_viewed(actor=actor, scoped=scoped, what="disputes", reason=reason)


def _detail_viewed(*, actor, scoped: Assessment, what: str, reason: str):
    """The "who has seen my answers" event for an assessment already re-scoped to the
    actor's organisation, committed in its own transaction."""
    with transaction.atomic():
        return audit_record(
            actor=actor,
            action=selectors.DETAIL_VIEW_ACTION,
            organisation=scoped.organisation,
            subject=scoped.user,
            obj=scoped,
            detail={"what": what, "reason": reason, "pack": scoped.pack.slug},
        )


def detail_view_denied(*, actor, public_id) -> None:
    """Record a refused attempt to open someone's answers (an outsider or a member
    probing), when the assessment exists and is not the actor's own."""
    from apps.audit.models import AuditEvent

    assessment = (
        Assessment.objects.filter(public_id=public_id).select_related("organisation").first()
    )
    if assessment is None or assessment.user_id == getattr(actor, "pk", None):
        return
    audit_record(
        actor=actor,
        action=selectors.DETAIL_VIEW_ACTION,
        organisation=assessment.organisation,
        subject=assessment.user,
        obj=assessment,
        outcome=AuditEvent.Outcome.DENIED,
    )


def export_record(*, actor, organisation, kind: str, fmt: str, filters: dict, rows: int):
    """Every export is an audit event (who, what, which filters, how many rows)."""
    return audit_record(
        actor=actor,
        action="compliance.exported",
        organisation=organisation,
        detail={"kind": kind, "format": fmt, "filters": filters, "rows": rows},
    )


# --- snapshots --------------------------------------------------------------------------------


def snapshot_take(*, organisation) -> Snapshot:
    """Counts of the organisation's standing now, for everyone ("all") and per audience:
    people submitted, baseline not met, and per scenario the people in each band."""
    data = selectors.snapshot_counts(organisation_id=organisation.pk)
    return Snapshot.objects.create(organisation=organisation, data=data)


def snapshot_take_for_user(*, user) -> Snapshot:
    """An org admin asks for a snapshot now ("on demand")."""
    membership = selectors.admin_membership_or_404(user=user)
    snapshot = snapshot_take(organisation=membership.organisation)
    audit_record(
        actor=user,
        action="compliance.snapshot_taken",
        organisation=membership.organisation,
        obj=snapshot,
    )
    return snapshot


def snapshots_take_due(*, now=None) -> int:
    """The nightly snapshot: one per organisation with any submitted assessment, unless
    one was taken in the last 20 hours (so running the round often stays cheap)."""
    from apps.accounts.models import Organisation

    now = now or timezone.now()
    taken = 0
    recent = Snapshot.objects.filter(taken_at__gte=now - timedelta(hours=20)).values(
        "organisation_id"
    )
    for organisation in (
        Organisation.objects.filter(assessments__status=Assessment.Status.SUBMITTED)
        .exclude(pk__in=recent)
        .distinct()
    ):
        snapshot_take(organisation=organisation)
        taken += 1
    return taken


# --- reminders ----------------------------------------------------------------------------------


def _reminder_step(campaign: Campaign, today: date) -> str | None:
    """The reminder step due today for an unsubmitted assignment, or None: the closest
    "due-in-N" whose day has come, or once overdue "overdue-K" every N days."""
    days_left = (campaign.due_date - today).days
    if days_left >= 0:
        reached = [d for d in campaign.reminder_days if days_left <= d]
        return f"due-in-{min(reached)}" if reached else None
    if not campaign.overdue_every_days:
        return None
    late = -days_left
    return f"overdue-{(late - 1) // campaign.overdue_every_days + 1}"


def _send_reminder(assignment: Assignment, step: str) -> None:
    campaign = assignment.campaign
    # SECURITY: the email says what to do and by when, never any result or answer.
    context = {
        "name": assignment.user.display_name,
        "campaign": campaign.name,
        "pack_title": campaign.pack_title,
        "due_date": campaign.due_date,
        "overdue": step.startswith("overdue"),
        "url": settings.SITE_URL.rstrip("/") + reverse("home"),
    }
    send_mail(
        subject=render_to_string("compliance/email/reminder_subject.txt", context).strip(),
        message=render_to_string("compliance/email/reminder.txt", context),
        from_email=None,
        recipient_list=[assignment.user.email],
    )


def reminders_send(*, today: date | None = None) -> int:
    """Email each active, current member whose assignment is not submitted and has a
    reminder step due; each step at most once (a ReminderSent row is written first, in
    the same transaction as the send, and its unique constraint refuses a second).
    Returns how many emails went out."""
    today = today or timezone.localdate()
    sent = 0
    candidates = (
        Assignment.objects.filter(user__is_active=True)
        .exclude(assessment__status=Assessment.Status.SUBMITTED)
        .select_related("campaign", "user", "user__membership")
        .order_by("pk")
    )
    for assignment in candidates.iterator(chunk_size=500):
        membership = getattr(assignment.user, "membership", None)
        if membership is None or membership.organisation_id != assignment.campaign.organisation_id:
            continue  # left the organisation
        step = _reminder_step(assignment.campaign, today)
        if step is None:
            continue
        try:
            with transaction.atomic():
                ReminderSent.objects.create(assignment=assignment, step=step)
                _send_reminder(assignment, step)
        except IntegrityError:
            continue  # already sent for this step
        except Exception:  # noqa: BLE001 - one bad address must not stop the round
            logger.exception("Reminder for assignment %s failed", assignment.pk)
            continue
        sent += 1
    return sent


# --- recurrence -------------------------------------------------------------------------------


def campaigns_roll_over(*, today: date | None = None) -> int:
    """Open the next round of recurring campaigns: a yearly campaign whose due date has
    passed gets a successor due a year later; an election campaign gets one round due the
    day before polling day, opened ELECTION_LEAD_DAYS before it. Idempotent (a campaign
    has at most one next round). Returns how many rounds were opened."""
    from apps.catalogue.selectors import pack_latest

    today = today or timezone.localdate()
    opened = 0
    candidates = Campaign.objects.filter(
        recurrence__in=[Campaign.Recurrence.YEARLY, Campaign.Recurrence.ELECTION],
        next_round__isnull=True,
    ).select_related("organisation", "created_by")
    for campaign in candidates:
        if campaign.recurrence == Campaign.Recurrence.YEARLY:
            if campaign.due_date >= today:
                continue
            due = _add_year(campaign.due_date)
            recurrence, election = Campaign.Recurrence.YEARLY, None
        else:
            if campaign.election_date is None or campaign.previous_id is not None:
                continue  # the election round is itself the last
            opens = campaign.election_date - timedelta(days=ELECTION_LEAD_DAYS)
            if today < opens or today >= campaign.election_date:
                continue
            due = campaign.election_date - timedelta(days=1)
            recurrence, election = Campaign.Recurrence.ELECTION, campaign.election_date
        try:
            pack = pack_latest(slug=campaign.pack_slug)
        except Http404:
            continue
        _launch_next(campaign, pack, due, recurrence, election)
        opened += 1
    return opened


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _launch_next(campaign: Campaign, pack, due: date, recurrence: str, election):
    with transaction.atomic():
        people = list(campaign.assignments.values_list("user_id", flat=True))
        members = Membership.objects.filter(organisation_id=campaign.organisation_id)
        if campaign.audience:
            members = members.filter(audience=campaign.audience)
        else:
            members = members.filter(user_id__in=people)
        next_round = Campaign.objects.create(
            organisation_id=campaign.organisation_id,
            name=f"{pack.title} – due {due:%-d %B %Y}",
            pack_slug=pack.slug,
            pack_title=pack.title,
            audience=campaign.audience,
            due_date=due,
            recurrence=recurrence,
            election_date=election,
            remind_days_before=campaign.remind_days_before,
            overdue_every_days=campaign.overdue_every_days,
            previous=campaign,
            created_by=campaign.created_by,
        )
        Assignment.objects.bulk_create(
            [
                Assignment(campaign=next_round, user_id=uid)
                for uid in members.filter(user__is_active=True).values_list("user_id", flat=True)
            ]
        )
        audit_record(
            actor=None,
            actor_label="system",
            action="campaign.launched",
            organisation=campaign.organisation,
            obj=next_round,
            detail={"pack": pack.slug, "previous": str(campaign.public_id)},
        )


# --- the scheduled round ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundResult:
    rounds_opened: int
    assigned: int
    reminders: int
    snapshots: int
    cuts_backfilled: int


def scheduled_round(*, now=None) -> RoundResult:
    """One round of scheduled compliance work, safe to run at any time and twice: open
    recurring campaigns' next rounds, assign late joiners, send the reminders due, take
    the nightly snapshots, and store missing per-control cuts of older scores."""
    from apps.scoring.services import score_control_cuts_backfill

    now = now or timezone.now()
    today = timezone.localdate(now)
    return RoundResult(
        rounds_opened=campaigns_roll_over(today=today),
        assigned=assignments_catch_up(),
        reminders=reminders_send(today=today),
        snapshots=snapshots_take_due(now=now),
        cuts_backfilled=score_control_cuts_backfill(),
    )
