"""Stored user files: saved under random names and only ever served as inert downloads."""

import secrets

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils import timezone


def store_upload(content: File, *, folder: str) -> str:
    """Save under a random name without extension, so it is never served as HTML."""
    path = timezone.now().strftime(f"{folder}/%Y/%m/") + secrets.token_hex(16)
    return default_storage.save(path, content)


def inert_download(file: FieldFile, *, filename: str) -> FileResponse:
    """A file as a download; its stored type is the uploader's word, so it is not used."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
