"""Where report files live: the `private` storage, from the environment.

    PRIVATE_STORAGE_BACKEND=filesystem (default)  files under PRIVATE_STORAGE_ROOT
    PRIVATE_STORAGE_BACKEND=s3                    an S3-compatible bucket (django-storages,
                                                  `pip install -e '.[s3]'`), private objects

For s3: PRIVATE_STORAGE_BUCKET (required), PRIVATE_STORAGE_ENDPOINT_URL (for MinIO, Ceph,
Scaleway... empty for AWS), PRIVATE_STORAGE_REGION, PRIVATE_STORAGE_PREFIX (default
"private"); credentials come the usual boto3 way (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, or an instance role). Either way the files get no public URL: the
app streams them through its authorised download view.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
# Report files on disk: sealed with the key ring, 0600 in 0700 folders (apps/core/storage.py).
ENCRYPTED_FILESYSTEM = "apps.core.storage.EncryptedFileSystemStorage"
S3 = "storages.backends.s3.S3Storage"


def private_storage(env, *, default_root: Path) -> dict:
    """The STORAGES["private"] entry for this environment."""
    backend = env.str("PRIVATE_STORAGE_BACKEND", default="filesystem").strip().lower()
    if backend in ("filesystem", "", FILESYSTEM.lower(), ENCRYPTED_FILESYSTEM.lower()):
        root = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(default_root)))
        # base_url None: FileSystemStorage.url() then has nothing to build a link from.
        return {
            "BACKEND": ENCRYPTED_FILESYSTEM,
            "OPTIONS": {"location": str(root), "base_url": None},
        }
    if backend in ("s3", S3.lower()):
        bucket = env.str("PRIVATE_STORAGE_BUCKET", default="")
        if not bucket:
            raise ImproperlyConfigured(
                "PRIVATE_STORAGE_BACKEND=s3 needs PRIVATE_STORAGE_BUCKET (the bucket's name)."
            )
        return {
            "BACKEND": S3,
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": env.str("PRIVATE_STORAGE_ENDPOINT_URL", default="") or None,
                "region_name": env.str("PRIVATE_STORAGE_REGION", default="") or None,
                "location": env.str("PRIVATE_STORAGE_PREFIX", default="private"),
                # SECURITY: objects are private, never overwritten, and any URL the storage
                # might build is signed and short-lived (the app never hands one out).
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": 60,
            },
        }
    raise ImproperlyConfigured(
        f"PRIVATE_STORAGE_BACKEND={backend!r} is not known: use 'filesystem' or 's3'."
    )
