"""The private storage for report files: encrypted with the key ring, owner-only on disk.

A report is a person's list of weaknesses. Each file is sealed with the newest key of
MFA_ENCRYPTION_KEYS (apps.core.encryption.seal_bytes, the key id in its header) before it
touches the disk, and opened transparently by `open()`, so the download view and the tests
read plain bytes. Files are created 0600 in 0700 folders whatever the process umask.
Files written before encryption (no header) are still read as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from apps.core.encryption import is_sealed_bytes, open_sealed_bytes, seal_bytes

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that seals content at rest and keeps it private to the service user."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("file_permissions_mode", FILE_MODE)
        kwargs.setdefault("directory_permissions_mode", DIRECTORY_MODE)
        super().__init__(*args, **kwargs)

    def _save(self, name, content):
        content.seek(0) if hasattr(content, "seek") else None
        data = content.read()
        if isinstance(data, str):
            data = data.encode()
        name = super()._save(name, ContentFile(seal_bytes(data)))
        self._tighten_folders(name)
        return name

    def _open(self, name, mode="rb"):
        with super()._open(name, "rb") as handle:
            data = handle.read()
        if is_sealed_bytes(data):
            data = open_sealed_bytes(data)
        opened = ContentFile(data, name=name)
        opened.mode = mode
        return opened

    def size(self, name):
        with self._open(name) as handle:
            return handle.size

    def _tighten_folders(self, name) -> None:
        # SECURITY: folders that existed before (created 0755 by an older release, or the root
        # made by hand) are brought to 0700 on the way from the new file up to the root.
        root = Path(self.location).resolve()
        folder = Path(self.path(name)).resolve().parent
        while True:
            if (folder.stat().st_mode & 0o777) != DIRECTORY_MODE:
                os.chmod(folder, DIRECTORY_MODE)
            if folder == root or root not in folder.parents:
                return
            folder = folder.parent

    def reseal(self, name) -> bool:
        """Rewrite `name` under the newest key if it is not already (or was never sealed).
        Atomic: a reader sees the old file or the new one. Returns True if it changed."""
        from apps.core.encryption import FILE_MAGIC, ring

        path = Path(self.path(name))
        data = path.read_bytes()
        newest = ring()[0][0].encode("ascii")
        if data.startswith(FILE_MAGIC + newest + b":"):
            return False
        plain = open_sealed_bytes(data) if is_sealed_bytes(data) else data
        temporary = path.with_name(f".{path.name}.reseal")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(seal_bytes(plain))
        os.replace(temporary, path)
        return True

    def reseal_all(self) -> int:
        """Reseal every file in the storage (after a key rotation); returns how many changed."""
        root = Path(self.location)
        if not root.exists():
            return 0
        changed = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                changed += self.reseal(str(path.relative_to(root)))
        return changed


def private_files_reseal() -> int:
    """Reseal the report files of the private storage under the newest key (0 for a storage
    that does not encrypt, e.g. an S3 bucket with its own server-side encryption)."""
    from django.core.files.storage import storages

    storage = storages["private"]
    return storage.reseal_all() if isinstance(storage, EncryptedFileSystemStorage) else 0
