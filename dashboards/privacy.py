"""Personal data on the dashboards: the one place that masks it.

Applicants' phones, ID numbers and names never reach a page unmasked
(rectification.md, "Personal data"); free text (quarantine details, file
messages, inbox file names) goes through ``mask_text``. Item descriptions are
masked where they are built (assets/rectification/items.py), and refused
replies where they are published (assets/rectification/ledger_publish.py);
both are shown as stored, as the ledger CSV and the department lists write
them. Staff are shown by
工号 with a masked name (``S001 张*``): a projector in a meeting is a public
place. Raw rows (quarantine ``raw_values``, rating comments, phone columns)
are never read by the dashboards at all.
"""

from __future__ import annotations

import re

try:  # the project's masking rules (assets/rectification/masking.py)
    from assets.rectification.masking import mask_name as _mask_name
    from assets.rectification.masking import mask_text as _mask_text
except ImportError:  # pragma: no cover - only before that module exists
    _PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
    _ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")

    def _mask_text(text):
        if text is None:
            return None
        return _PHONE.sub(r"\1****\2", _ID.sub(r"\1********\2", str(text)))

    def _mask_name(name):
        if name is None:
            return None
        s = str(name).strip()
        return s[:1] + "*" * (len(s) - 1) if len(s) > 1 else ("*" if s else s)


def mask_text(text: str | None) -> str | None:
    """Phones, ID numbers and cue-marked names inside free text."""
    return _mask_text(text)


def mask_name(name: str | None) -> str | None:
    """A name field: ``张三 -> 张*``."""
    return _mask_name(name)


def staff_label(staff_id: str | None, staff_name: str | None = None) -> str:
    """How a staff member is shown: ``S001 张*`` (or the id alone)."""
    if not staff_id:
        return "—"
    masked = mask_name(staff_name) if staff_name else None
    return f"{staff_id} {masked}" if masked else str(staff_id)
