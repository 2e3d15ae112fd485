"""Distinct id types so that an officer id cannot be passed where a hold id belongs."""

from typing import NewType

FieldOfficeId = NewType("FieldOfficeId", str)
AgencyId = NewType("AgencyId", str)
FacilityId = NewType("FacilityId", str)
AgreementId = NewType("AgreementId", str)
OfficerId = NewType("OfficerId", str)
TrainingId = NewType("TrainingId", str)
BookingId = NewType("BookingId", str)
WarrantId = NewType("WarrantId", str)
HoldId = NewType("HoldId", str)
SubjectId = NewType("SubjectId", str)  # a person, opaque: the ledger never holds who they are
CostId = NewType("CostId", str)
ComplaintId = NewType("ComplaintId", str)
SteeringMeetingId = NewType("SteeringMeetingId", str)
