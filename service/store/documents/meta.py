"""Settings every document shares, and the one way a new document is validated."""

from collections.abc import Mapping
from typing import Any

import mongoengine as me

from ...errors import ValidationFailed

# Indexes are created by ``flask db init`` (the release phase), never implicitly on first
# use, so a request never pays for an index build.
META = {"auto_create_index": False}


def stored_form(document_class: Any, fields: Mapping[str, Any], what: str, code: str) -> dict[str, Any]:
    """``fields`` (keyed by database names) as ``document_class`` stores them, validated by its
    schema. Raises ValidationFailed naming ``what`` when the schema refuses them."""
    document = document_class._from_son(dict(fields))
    try:
        document.validate()
    except me.ValidationError as exc:
        raise ValidationFailed(f"the {what} cannot be stored: {exc}", code=code) from None
    return dict(document.to_mongo().to_dict())
