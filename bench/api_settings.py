"""Settings for the API benchmark only: the project's settings plus a trivial DRF endpoint
(bench/api_urls.py), and rate limits out of the way (they are tested, not timed)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"api_key": "1000000/min", "api_user": "1000000/min"},
}
