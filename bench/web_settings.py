"""Settings for the web benchmark only: production settings plus one trivial view.

The trivial authenticated view is the baseline the answer save is compared with; it must
not exist in production, so it lives in a bench-only URLconf.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
