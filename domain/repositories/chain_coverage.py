"""SQL of the chain's coverage: per province and district, how many communes are connected,
reported today and acknowledged the latest directive addressed to them.

One statement: the communes under the unit, each joined to three sets (communes with an
active device seen since ``since``, communes whose report of ``day`` is submitted, each
commune's latest directive and whether it was acknowledged), grouped by province and by
district at once (grouping sets), then named from admin_unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.repositories.scope import escape_like


@dataclass(frozen=True, slots=True)
class CoverageRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    path: str
    lon: float
    lat: float
    communes: int
    connected: int
    reported_today: int
    with_directive: int
    acknowledged_latest: int


_SQL = """
WITH c AS (
    SELECT u.code, split_part(u.scope_path, '.', 2) AS province,
           split_part(u.scope_path, '.', 3) AS district
    FROM admin_unit u
    WHERE u.level = 'commune' AND NOT u.deleted
      AND (u.scope_path = :scope OR u.scope_path LIKE :under)
), connected AS (
    SELECT DISTINCT s.commune_code AS code
    FROM device d JOIN station s ON s.id = d.station_id
    WHERE d.revoked_at IS NULL AND d.last_seen_at >= :since
      AND (s.scope_path = :scope OR s.scope_path LIKE :under)
), reported AS (
    SELECT r.unit_code AS code FROM situation_report r
    WHERE r.report_date = :day AND r.status = 'submitted' AND NOT r.deleted
      AND (r.scope_path = :scope OR r.scope_path LIKE :under)
), latest AS (
    SELECT DISTINCT ON (dr.unit_code) dr.unit_code AS code,
           dr.acknowledged_at IS NOT NULL AS acknowledged
    FROM directive_recipient dr
    WHERE NOT dr.deleted AND (dr.scope_path = :scope OR dr.scope_path LIKE :under)
    ORDER BY dr.unit_code, dr.issued_at DESC, dr.id DESC
), g AS (
    SELECT CASE WHEN GROUPING(c.district) = 1 THEN c.province ELSE c.district END AS code,
           count(*) AS communes, count(cn.code) AS connected, count(rp.code) AS reported,
           count(l.code) AS with_directive, count(*) FILTER (WHERE l.acknowledged) AS acked
    FROM c
    LEFT JOIN connected cn ON cn.code = c.code
    LEFT JOIN reported rp ON rp.code = c.code
    LEFT JOIN latest l ON l.code = c.code
    GROUP BY GROUPING SETS ((c.province), (c.province, c.district))
)
SELECT u.code, u.name, u.level::text, u.parent_code, u.scope_path, ST_X(u.centroid),
       ST_Y(u.centroid), g.communes, g.connected, g.reported, g.with_directive, g.acked
FROM g JOIN admin_unit u ON u.code = g.code
ORDER BY u.scope_path
"""


async def coverage_rows(
    session: AsyncSession, *, scope_path: str, since: datetime, day: date
) -> list[CoverageRow]:
    """Provinces and districts with communes under ``scope_path``, with their figures."""
    rows = await session.execute(text(_SQL), {
        "scope": scope_path, "under": f"{escape_like(scope_path)}.%", "since": since,
        "day": day,
    })
    return [CoverageRow(code=r[0], name=r[1], level=r[2], parent_code=r[3], path=r[4],
                        lon=r[5], lat=r[6], communes=r[7], connected=r[8],
                        reported_today=r[9], with_directive=r[10], acknowledged_latest=r[11])
            for r in rows.all()]
