"""Settings for the intake benchmark's web server: production's, plus the baseline URL.

``gunicorn syncplatform.wsgi`` with ``DJANGO_SETTINGS_MODULE=bench.settings``;
only the benchmark mounts ``/bench/baseline-intake``, never production.
"""

from syncplatform.settings import *  # noqa: F403 - the production settings, unchanged

ROOT_URLCONF = "bench.urls"
