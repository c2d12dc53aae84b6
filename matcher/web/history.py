"""A case's history in words: what each audited action means, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# The actions recorded on a request or its matches (services call audit.record with these codes). A code missing
# here is shown as it is, so a new action is never hidden from the history.
HISTORY_LABELS = {
    "request.created": _l("Request registered"),
    "request.desk_registered": _l("Registered at a help desk"),
    "request.updated": _l("Request edited"),
    "request.withdrawn": _l("Request withdrawn"),
    "request.status_changed": _l("Request status changed"),
    "request.anonymised": _l("Personal details erased"),
    "request.contact_viewed": _l("Contact details viewed"),
    "contact.revealed": _l("Contact details shown to a coordinator"),
    "case.assigned": _l("Case assigned"),
    "case.note_added": _l("Note added"),
    "case.women_only_set": _l("Household recorded as women only"),
    "match.propose": _l("Offer proposed"),
    "match.host_accept": _l("Host accepted"),
    "match.host_decline": _l("Host declined"),
    "match.guest_accept": _l("Household accepted"),
    "match.guest_decline": _l("Household declined"),
    "match.expire": _l("Proposal expired"),
    "match.cancel": _l("Placement cancelled"),
    "match.move_in": _l("Moved in"),
    "match.end": _l("Stay ended"),
    "match.break_down": _l("Stay broke down"),
    "match.paused": _l("Proposal paused by a concern"),
    "match.resumed": _l("Proposal resumed"),
    "match.signed_off": _l("Second sign-off given"),
}


def history_label(action: str) -> str:
    """The audited action in the reader's language, or its code when it has no label yet."""
    label = HISTORY_LABELS.get(action)
    return str(label) if label is not None else action
