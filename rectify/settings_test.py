"""Settings for the test suite: the real settings with test-only defaults.

CI sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis); a bare
machine runs on SQLite and the in-memory broker.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("AUDIT_KEY", "tests-only-audit-key")

from rectify.settings import *  # noqa: F403
from rectify.settings import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
ALLOWED_HOSTS = ["*"]
AUDIT_CHECKPOINT_DIR = VAR_DIR / "test-audit-checkpoints"
# /static/ from the apps' folders: the suite never runs collectstatic.
WHITENOISE_USE_FINDERS = True
