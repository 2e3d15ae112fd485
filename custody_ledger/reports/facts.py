"""The facts every report counts, as DuckDB tables made from the columnar copy, through one ledger event.

Each f_* table holds only fact rows with `seq <= through`, so a report is computed on a fixed ledger range;
they are temporary (this connection's, for one report) and made once, so the report's many queries scan
flat tables instead of joining again each time.
Days and months are local: a hold's on its facility's calendar, an agency's program acts (agreements,
officers, costs, complaints, meetings) on its field office's (DOMAIN.md: the agency's calendar; app/calendar.py
judges commands the same way). Durations are computed in UTC (DESIGN.md guarantee 8).
"""

from __future__ import annotations

from .columnar import Mirror

# The status each agreement event leaves the agreement in, and the day it takes effect (lifecycle.AGREEMENT;
# a signature takes effect on its effective_from, a notice on the day it names).
_AGREEMENT_STATUS = """
    CASE type WHEN 'agreement_requested' THEN 'requested'
              WHEN 'agreement_reviewed' THEN decision
              WHEN 'agreement_signed' THEN 'active'
              WHEN 'agreement_suspended' THEN 'suspended'
              WHEN 'agreement_reinstated' THEN 'active'
              WHEN 'agreement_terminated' THEN 'terminated' END"""

_VIEWS = """
CREATE OR REPLACE TEMP TABLE f_zone AS
  SELECT field_office_id, arg_max(timezone, seq) AS zone FROM places
  WHERE type = 'field_office_registered' AND seq <= {n} GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE f_facility AS
  SELECT facility_id, arg_max(agency_id, seq) AS agency_id, arg_max(timezone, seq) AS zone FROM places
  WHERE type = 'facility_registered' AND seq <= {n} GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE f_agency_change AS
  SELECT agency_id, c.field AS field, arg_max(c.new, seq) AS value FROM (
    SELECT seq, agency_id, unnest(from_json(changes, '[{{"field": "VARCHAR", "new": "VARCHAR"}}]')) AS c
    FROM agencies WHERE type = 'agency_amended' AND seq <= {n}) GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE f_agency AS
  SELECT a.agency_id,
    coalesce((SELECT value FROM f_agency_change c WHERE c.agency_id = a.agency_id AND c.field = 'name'), a.name)
      AS name,
    coalesce((SELECT value FROM f_agency_change c WHERE c.agency_id = a.agency_id AND c.field = 'state'), a.state)
      AS state,
    a.kind, a.field_office_id, coalesce(z.zone, 'UTC') AS zone
  FROM agencies a LEFT JOIN f_zone z USING (field_office_id)
  WHERE a.type = 'agency_registered' AND a.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_agreement AS
  SELECT agreement_id, agency_id, model FROM agreement_events WHERE type = 'agreement_requested' AND seq <= {n};
CREATE OR REPLACE TEMP TABLE f_agreement_status AS
  SELECT e.seq, e.agreement_id, g.agency_id, g.model, {status} AS status,
    CASE WHEN e.type = 'agreement_signed' THEN e.effective_from
         ELSE coalesce(e.effective_on, CAST(timezone(a.zone, e.occurred_at) AS DATE)) END AS effective
  FROM agreement_events e JOIN f_agreement g USING (agreement_id) JOIN f_agency a ON a.agency_id = g.agency_id
  WHERE e.seq <= {n} AND {status} IS NOT NULL;
CREATE OR REPLACE TEMP TABLE f_officer AS
  SELECT officer_id, agency_id FROM officer_events WHERE type = 'officer_nominated' AND seq <= {n};
CREATE OR REPLACE TEMP TABLE f_officer_event AS
  SELECT e.seq, e.type, e.officer_id, o.agency_id, e.model, e.hours, e.completed_on, e.expires_on,
    coalesce(e.effective_on, CAST(timezone(a.zone, e.occurred_at) AS DATE)) AS day
  FROM officer_events e JOIN f_officer o USING (officer_id) JOIN f_agency a ON a.agency_id = o.agency_id
  WHERE e.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_officer_model AS
  SELECT officer_id, arg_min(model, seq) AS model FROM officer_events
  WHERE type = 'officer_certified' AND seq <= {n} GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE f_end AS  -- a hold ends once (rule hold.ends_once): no grouping needed
  SELECT hold_id, type, occurred_at AS ended_at, reason FROM hold_ends WHERE seq <= {n};
CREATE OR REPLACE TEMP TABLE f_hold AS
  SELECT h.hold_id, h.agency_id, coalesce(h.model, m.model, 'unknown') AS model, fa.zone, h.arrested_at,
    h.clock_started_at, h.deadline, h.igsa, e.type AS end_type, e.ended_at, e.reason,
    CAST(timezone(fa.zone, h.arrested_at) AS DATE) AS arrest_day,
    CAST(timezone(fa.zone, e.ended_at) AS DATE) AS end_day,
    epoch(e.ended_at - h.clock_started_at) / 3600.0 AS hours,
    epoch(h.deadline - h.clock_started_at) / 3600.0 AS limit_hours
  FROM holds h JOIN f_facility fa USING (facility_id) LEFT JOIN f_end e USING (hold_id)
  LEFT JOIN f_officer_model m USING (officer_id)
  WHERE h.seq <= {n};
-- Whose each record is, and on which calendar, so a flag naming any record ("booking:BK-1", "training:T-7",
-- "agreement:AGR-1") is counted for that record's agency, in that record's local day.
CREATE OR REPLACE TEMP TABLE f_owner AS
  SELECT p.stream, p.agency_id, fa.zone FROM places_of p JOIN f_facility fa USING (facility_id)
  WHERE p.seq <= {n} AND p.stream IN (SELECT subject FROM flags WHERE seq <= {n})  -- of millions, those flagged
  UNION ALL SELECT 'agreement:' || agreement_id, agency_id, a.zone FROM f_agreement JOIN f_agency a USING (agency_id)
  UNION ALL SELECT 'agency:' || agency_id, agency_id, zone FROM f_agency
  UNION ALL SELECT 'facility:' || facility_id, agency_id, zone FROM f_facility
  UNION ALL SELECT 'officer:' || officer_id, agency_id, a.zone FROM f_officer JOIN f_agency a USING (agency_id)
  UNION ALL SELECT DISTINCT CASE WHEN e.type = 'training_recorded' THEN 'training:' || e.training_id
                                 ELSE 'certificate:' || e.officer_id || ':' || e.model END, o.agency_id, a.zone
    FROM officer_events e JOIN f_officer o USING (officer_id) JOIN f_agency a ON a.agency_id = o.agency_id
    WHERE e.seq <= {n} AND e.type IN ('training_recorded', 'officer_certified');
CREATE OR REPLACE TEMP TABLE f_flag AS  -- a flag of a record no agency owns is counted for agency ""
  SELECT f.kind, f.rule_id, f.seconds, coalesce(w.agency_id, '') AS agency_id, coalesce(h.model, '') AS model,
    CAST(timezone(coalesce(w.zone, 'UTC'), f.occurred_at) AS DATE) AS day,
    CAST(timezone(coalesce(w.zone, 'UTC'), f.recorded_at) AS DATE) AS recorded_day
  FROM flags f LEFT JOIN f_owner w ON w.stream = f.subject
  LEFT JOIN f_hold h ON 'hold:' || h.hold_id = f.subject
  WHERE f.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_watch AS
  SELECT w.type, w.hold_id, w.agency_id, h.model, w.late_seconds, CAST(timezone(fa.zone, w.due_at) AS DATE) AS day
  FROM watch w JOIN f_facility fa USING (facility_id) LEFT JOIN f_hold h USING (hold_id) WHERE w.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_refusal AS
  SELECT r.rule_id, r.command, r.agency_id, coalesce(m.model, '') AS model,
    CAST(timezone(coalesce(a.zone, 'UTC'), r.occurred_at) AS DATE) AS day
  FROM refusals r LEFT JOIN f_agency a USING (agency_id) LEFT JOIN f_officer_model m USING (officer_id)
  WHERE r.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_cost AS
  SELECT c.agency_id, coalesce(g.model, '') AS model, c.kind, c.payer, c.incurred_to AS day, c.hours, c.amount_cents
  FROM costs c LEFT JOIN f_agreement g USING (agreement_id) WHERE c.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_complaint AS
  SELECT c.type, c.complaint_id, r.agency_id, r.category, c.referred_to, c.outcome,
    CASE c.type WHEN 'complaint_received' THEN c.received_on WHEN 'complaint_referred' THEN c.referred_on
                ELSE c.closed_on END AS day
  FROM complaints c JOIN complaints r ON r.complaint_id = c.complaint_id AND r.type = 'complaint_received'
  WHERE c.seq <= {n} AND r.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_meeting AS
  SELECT m.type, h.agency_id, coalesce(g.model, '') AS model,
    CASE m.type WHEN 'steering_meeting_held' THEN m.held_on ELSE m.published_on END AS day,
    m.minutes_published_on
  FROM meetings m JOIN meetings h ON h.meeting_id = m.meeting_id AND h.type = 'steering_meeting_held'
  LEFT JOIN f_agreement g ON g.agreement_id = h.agreement_id
  WHERE m.seq <= {n} AND h.seq <= {n};
CREATE OR REPLACE TEMP TABLE f_listing AS
  SELECT e.agreement_id, g.model, e.seq,
    CASE WHEN e.type = 'agreement_delisted' THEN e.delisted_on
         ELSE CAST(json_extract_string(e.source, '$.as_of') AS DATE) END AS day,
    e.type <> 'agreement_delisted' AS listed
  FROM agreement_events e JOIN f_agreement g USING (agreement_id)
  WHERE e.seq <= {n} AND (e.type = 'agreement_delisted' OR e.source IS NOT NULL);
"""


# A report's period, its local days $from..$to included: the one way every report's queries filter on it.
IN_PERIOD = "BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)"


def define(mirror: Mirror, through: int) -> None:
    """(Re)make the f_* tables of this connection on events 1..through."""
    mirror.con.execute(_VIEWS.format(n=int(through), status=_AGREEMENT_STATUS)).fetchall()
