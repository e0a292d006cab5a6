"""A node of the multi-node tests: the production settings as the environment gives them,
with its static files collected into the test's own folder (STATIC_ROOT from NODE_STATIC_ROOT)
rather than the project's, and the test suite's quick password hasher accepted beside the
real ones so the users the test makes can sign in."""

import os
from pathlib import Path

from django.conf import global_settings

from attune.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["NODE_STATIC_ROOT"])
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
