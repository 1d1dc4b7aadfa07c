"""Open routes are an expected count; people read whole numbers ("about 7 ways in"), never
"6.8 ways in", and a step never reads as narrowing "from about 1 to 1"."""

import pytest

from apps.scoring.wording import ways_in_closed, ways_in_open


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "no way in left open"),
        (1, "1 way in still open"),
        (3, "3 ways in still open"),
        (6.8, "about 7 ways in still open"),
        (0.3, "about 1 way in still open"),
    ],
)
def test_open_ways_in_read_as_whole_numbers(count, text):
    assert ways_in_open(count) == text


@pytest.mark.parametrize(
    ("before", "after", "text"),
    [
        (3, 2, "closes 1 of 3 ways in"),
        (3, 0, "closes all 3 ways in"),
        (1, 0, "closes the last way in"),
        (2.5, 0, "closes every way in still open"),
        (6.8, 4.8, "narrows the open ways in from about 7 to about 5"),
        (4, 2.5, "narrows the open ways in from 4 to about 3"),
        (1.2, 1.0, "partly closes a way in"),
        (2, 2, ""),
    ],
)
def test_a_step_says_what_it_closes_in_words(before, after, text):
    assert ways_in_closed(before, after) == text
