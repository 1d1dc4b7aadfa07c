"""The test run itself: what the suite relies on from its runner."""

import pytest


@pytest.mark.xdist_group("suite-check")
def test_xdist_groups_keep_their_tests_on_one_worker(request):
    # The report-worker and deployment modules share one embedded worker or one nginx per
    # group; pytest 9.2 stopped xdist 3.8 from grouping (node ids moved to `_id`), which
    # silently spread them over both workers. Under `make test` (-n 2 --dist loadgroup)
    # the group must show in the node id, which is what xdist schedules on.
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under `make test` (pytest -n 2 --dist loadgroup)")
    assert request.node.nodeid.endswith("@suite-check")
