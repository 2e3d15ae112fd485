"""Command name -> handler, as a literal: an unknown name fails closed (DESIGN.md style 6).

Each handler takes its command's own type and calls one domain decide_*() (commands that share a shape
are told apart by type there, never by name); tests/unit/test_vocabulary.py checks the table covers
every command of domain/commands.py and that each handler takes that command's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .context import Outcome, Tx
from .handlers import accountability, agreements, custody, officers, subjects, watch

Handler = Callable[[Tx, str, Any], Outcome]

HANDLERS: dict[str, Handler] = {
    "register_field_office": agreements.register_field_office,
    "register_agency": agreements.register_agency,
    "amend_agency": agreements.amend_agency,
    "register_facility": agreements.register_facility,
    "request_agreement": agreements.request_agreement,
    "review_agreement": agreements.review_agreement,
    "sign_agreement": agreements.sign_agreement,
    "resign_agreement": agreements.resign_agreement,
    "amend_agreement": agreements.amend_agreement,
    "attach_agreement_document": agreements.attach_agreement_document,
    "delist_agreement": agreements.delist_agreement,
    "relist_agreement": agreements.relist_agreement,
    "suspend_agreement": agreements.change_agreement,
    "reinstate_agreement": agreements.change_agreement,
    "terminate_agreement": agreements.change_agreement,
    "nominate_officer": officers.nominate_officer,
    "record_background_check": officers.record_background_check,
    "record_training": officers.record_training,
    "separate_officer": officers.separate_officer,
    "certify_officer": officers.certify_officer,
    "suspend_certificate": officers.change_certificate,
    "revoke_certificate": officers.change_certificate,
    "book_person": custody.book_person,
    "release_from_criminal_custody": custody.release_from_criminal_custody,
    "lodge_warrant": custody.lodge_warrant,
    "cancel_warrant": custody.cancel_warrant,
    "serve_warrant": custody.serve_warrant,
    "interview_status": custody.jail_processing,
    "issue_detainer": custody.jail_processing,
    "enter_ice_data": custody.jail_processing,
    "transfer_custody": custody.transfer_custody,
    "release_hold": custody.release_hold,
    "record_alert": watch.record_alert,
    "acknowledge_alert": watch.acknowledge_alert,
    "set_alert_route": watch.set_alert_route,
    "remove_alert_route": watch.remove_alert_route,
    "seal_person": subjects.court_order,
    "unseal_person": subjects.court_order,
    "expunge_person": subjects.court_order,
    "record_cost": accountability.record_cost,
    "record_complaint": accountability.record_complaint,
    "refer_complaint": accountability.refer_complaint,
    "close_complaint": accountability.close_complaint,
    "record_steering_meeting": accountability.record_steering_meeting,
    "publish_steering_minutes": accountability.publish_steering_minutes,
}
