"""The test suite's settings: Souk's own, on a development machine (docs/operations.md, Deploying).

`SOUK_DEV=1` allows the public development SECRET_KEY. It goes into the environment, and
DJANGO_SETTINGS_MODULE back to `souk.settings` (this process has already chosen this module), so
that the processes the tests start (workers, gunicorn, `souk` commands) read the same settings as
the tests do without having to import `tests`. A test that needs production behaviour passes its
own environment.
"""

import os

os.environ.setdefault("SOUK_DEV", "1")
os.environ["DJANGO_SETTINGS_MODULE"] = "souk.settings"

from souk.settings import *  # noqa: E402, F403
