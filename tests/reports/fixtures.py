"""Fixtures for the report tests (a plugin of the whole suite, see tests/conftest.py): a
submitted assessment, and a real Celery worker.

Tests that do not ask for a worker run tasks in-process (eager: tests/conftest.py), so
nothing they enqueue is left behind in a shared Redis. `report_worker` starts
celery's embedded test worker on the project app: the `memory://` broker by default, Redis
when CELERY_BROKER_URL is set. Each test process consumes its own uniquely named queue, so
the two xdist processes (and two CI runs) never take each other's messages.
"""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from apps.assessments.selectors import visible_control_ids
from apps.assessments.services import answer_save, assessment_submit
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data
from tests.reports.support import ENV_BROKER, celery_configured, forget_queue, unique_queue_name

# Answers that leave alice exposed, so her plan has steps (T-ACC-01 is critical).
EXPOSED_ANSWERS = {
    "T-ACC-01": ("no", "Only on my work account."),
    "T-ACC-02": ("sometimes", ""),
    "T-ACC-03": ("unsure", "Ask the office manager."),
    "T-DEV-01": ("yes", ""),
    "T-DEV-02": ("no", ""),
    "T-GOV-01": ("no", ""),
}


@pytest.fixture
def pack(db):
    return pack_load_data(minimal_pack_data()).pack


@pytest.fixture
def submit(pack):
    """`submit(user, answers=None)`: answer the test pack as `user` and submit it."""

    def _submit(user, answers=None):
        from apps.assessments.models import Assessment

        membership = user.membership
        assessment = Assessment.objects.create(
            user=user, organisation=membership.organisation, pack=pack, audience=membership.audience
        )
        given: dict[str, str] = {}
        for control_key, (answer_key, note) in (answers or EXPOSED_ANSWERS).items():
            if control_key not in visible_control_ids(assessment=assessment, answer_map=given):
                continue  # not asked of this person (e.g. carol, staff, gets no T-DEV-02)
            given[control_key] = answer_key
            answer_save(
                actor=user,
                assessment=assessment,
                control_key=control_key,
                answer_key=answer_key,
                note=note,
            )
        assessment_submit(actor=user, assessment=assessment)
        assessment.refresh_from_db()
        return assessment

    return _submit


@pytest.fixture(scope="module")
def _module_report_worker(django_db_setup):
    """One worker for a module of worker tests (starting and stopping one costs seconds).

    Every test in such a module must use `report_worker`: a test that reconfigured Celery
    in the middle would pull the broker from under the running worker.
    """
    queue = unique_queue_name()
    with celery_configured(
        broker_url=ENV_BROKER or "memory://",
        task_always_eager=False,
        task_default_queue=queue,
    ) as app:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=60,
        ) as worker:
            yield worker
        forget_queue(app, queue)


@pytest.fixture
def report_worker(transactional_db, _module_report_worker):
    """A real Celery worker (celery's embedded test worker) consuming a queue of its own;
    the test's rows are committed, so the worker's thread sees them."""
    return _module_report_worker
