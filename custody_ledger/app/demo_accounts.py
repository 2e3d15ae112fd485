"""Demo log-ins for the seeded database: one account per role, printed by the start script.

Only for demo data: the passwords are public, and the demo runs with MFA off and says so.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain.model import CertificateStatus, HoldStatus
from custody_ledger.ledger.schema import agencies, api_keys, certificates, holds, users
from custody_ledger.settings import Settings

from .auth import Role, add_api_key, add_user

DEMO_PASSWORD = "demo-password-287g"


def _busiest_agency(engine: Engine) -> tuple[str, str, str | None]:
    """The agency with the most open holds (so the demo shows countdowns), its field office, a WSO."""
    with engine.connect() as conn:
        agency = conn.execute(
            sa.select(holds.c.agency_id).where(holds.c.status == HoldStatus.OPEN.value)
            .group_by(holds.c.agency_id).order_by(sa.func.count().desc(), holds.c.agency_id).limit(1)
        ).scalar() or conn.execute(sa.select(agencies.c.agency_id).order_by(agencies.c.agency_id)).scalar_one()
        office = conn.execute(sa.select(agencies.c.field_office_id).where(agencies.c.agency_id == agency)).scalar_one()
        officer = conn.execute(
            sa.select(certificates.c.officer_id).where(certificates.c.agency_id == agency,
                                                       certificates.c.status == CertificateStatus.CURRENT.value)
            .order_by(certificates.c.officer_id).limit(1)
        ).scalar()
    return agency, office, officer


def create_demo_accounts(engine: Engine, now: datetime) -> list[tuple[str, str, str]]:
    """(user, role, scope) for each account created; existing accounts are left alone."""
    agency, office, officer = _busiest_agency(engine)
    wanted: list[tuple[str, Role, dict[str, str | None]]] = [
        ("records", Role.FACILITY_STAFF, {"agency_id": agency}),
        ("agency-admin", Role.AGENCY_ADMIN, {"agency_id": agency}),
        ("supervisor", Role.ICE_SUPERVISOR, {"field_office_id": office}),
        ("admin", Role.PROGRAM_ADMIN, {}),
        ("auditor", Role.AUDITOR, {}),
    ]
    if officer is not None:
        wanted.append(("wso", Role.CERTIFIED_OFFICER, {"agency_id": agency, "officer_id": officer}))
    with engine.connect() as conn:
        existing = set(conn.execute(sa.select(users.c.user_id)).scalars())
    created = []
    for user, role, scope in wanted:
        if user not in existing:
            add_user(engine, user, DEMO_PASSWORD, role, now=now, by="demo-seed", with_mfa=False, **scope)
        created.append((user, role.value, ", ".join(f"{k}={v}" for k, v in scope.items()) or "all agencies"))
    return created


DEMO_KEY_ID = "jms-demo"


def issue_demo_key(engine: Engine, settings: Settings, now: datetime) -> tuple[str, str] | None:
    """(agency, key) of a new demo integration key; None when one was issued before (it is shown only once)."""
    with engine.connect() as conn:
        if conn.execute(sa.select(api_keys.c.key_id).where(api_keys.c.key_id == DEMO_KEY_ID)).first() is not None:
            return None
    agency, _, _ = _busiest_agency(engine)
    return agency, add_api_key(engine, DEMO_KEY_ID, agency, settings, now=now, by="demo-seed")
