"""SQL text of the stock views, filled in by domain/repositories/stock.py: the scope test
and the planning constants are written into the text, so prepared plans stay good. Open F0
cases come from station_caseload (kept by triggers on f0_case), never from counting cases.
Expiry is judged on today's UTC date, as domain/rules/expiry.py judges a movement's day."""

# Location x item grid in scope, with recent use, open caseload, days of cover and state.
COVERAGE_SQL = """
WITH loc AS (
    SELECT l.id, l.code, l.name, l.kind, l.station_id, l.scope_path
    FROM stock_location l
    WHERE NOT l.deleted AND l.kind <> 'household' AND {loc_scope} {extra}
), bal AS (
    SELECT b.location_id, b.item_id, sum(b.qty) AS qty,
           sum(b.qty) FILTER (WHERE lt.expires_on < {today} AND b.qty > 0) AS expired,
           sum(b.qty) FILTER (WHERE lt.expires_on >= {today} AND b.qty > 0
                              AND lt.expires_on <= {today} + {near_days}) AS near_expiry
    FROM stock_balance b JOIN loc ON loc.id = b.location_id
    LEFT JOIN item_lot lt ON lt.id = b.lot_id
    GROUP BY b.location_id, b.item_id
), used AS (
    SELECT m.location_id, m.item_id, sum(m.quantity) AS used
    FROM stock_movement m JOIN loc ON loc.id = m.location_id
    WHERE m.kind IN ('issue', 'transfer_out')
      AND m.occurred_at >= now() - make_interval(days => {window})
    GROUP BY m.location_id, m.item_id
), load AS (
    SELECT loc.id AS location_id, cl.open_cases AS n
    FROM loc JOIN station_caseload cl ON cl.station_id = loc.station_id
    WHERE loc.kind = 'station'
    UNION ALL
    SELECT loc.id, sum(cl.open_cases)
    FROM loc
    JOIN station s ON NOT s.deleted
     AND (s.scope_path = loc.scope_path OR s.scope_path LIKE loc.scope_path || '.%')
    JOIN station_caseload cl ON cl.station_id = s.id
    WHERE loc.kind IN ('city_warehouse', 'district_warehouse') GROUP BY loc.id
), grid AS (
    SELECT loc.id AS location_id, loc.code AS location_code, loc.name AS location_name,
           loc.kind AS location_kind, loc.station_id, i.id AS item_id, i.code AS item_code,
           i.unit_of_issue, coalesce(bal.qty, 0) AS on_hand,
           coalesce(bal.expired, 0) AS expired, coalesce(bal.near_expiry, 0) AS near_expiry,
           coalesce(used.used, 0) AS used_recently, coalesce(load.n, 0) AS open_cases,
           CASE WHEN loc.kind = 'station' THEN i.min_station_stock ELSE 0 END AS min_stock,
           greatest(coalesce(used.used, 0)::float / {window},
                    coalesce(load.n, 0) * i.daily_use_per_case) AS daily_need
    FROM loc CROSS JOIN catalog_item i
    LEFT JOIN bal ON bal.location_id = loc.id AND bal.item_id = i.id
    LEFT JOIN used ON used.location_id = loc.id AND used.item_id = i.id
    LEFT JOIN load ON load.location_id = loc.id
    WHERE NOT i.deleted {item_filter}
), rated AS (
    SELECT grid.*,
           CASE WHEN daily_need > 0 THEN round((on_hand / daily_need)::numeric, 1)::float
           END AS days_of_cover,
           CASE WHEN on_hand <= 0 AND (min_stock > 0 OR daily_need > 0) THEN 'out'
                WHEN on_hand < min_stock OR (daily_need > 0 AND on_hand < {low_days} * daily_need)
                THEN 'low' ELSE 'ok' END AS state
    FROM grid
    WHERE on_hand <> 0 OR min_stock > 0 OR daily_need > 0
), shown AS (
    SELECT * FROM rated WHERE true {state_filter}
)
{select}
"""

# The whole grid: a district's rollup, the dashboard, one location's stock.
COVERAGE_ALL = "SELECT * FROM shown ORDER BY location_code, item_code"

# One page and the count of the whole grid in one statement, so the grid is built once
# ("shown" is referenced twice, hence materialized); an empty page still brings the count.
COVERAGE_PAGE = """
SELECT n.total, p.* FROM (SELECT count(*) AS total FROM shown) n
LEFT JOIN LATERAL (
    SELECT * FROM shown ORDER BY location_code, item_code LIMIT :limit OFFSET :offset
) p ON true
ORDER BY p.location_code, p.item_code
"""

# The key-item rule, written once for every shape of the stock views below: "out" below zero,
# or at zero where the key is needed (a minimum or a daily need); "low" below the minimum or
# under ``low_days`` days of cover; days of cover to one decimal where there is a daily need.
def key_state_sql(qty: str, min_stock: str, daily_need: str, low_days: str) -> str:
    return (f"CASE WHEN {qty} < 0 OR ({qty} = 0 AND ({min_stock} > 0 OR {daily_need} > 0)) "
            f"THEN 'out' WHEN {qty} < {min_stock} OR {qty} < {low_days} * {daily_need} "
            f"THEN 'low' ELSE 'ok' END")


def days_of_cover_sql(qty: str, daily_need: str) -> str:
    return f"CASE WHEN {daily_need} > 0 THEN round(({qty} / {daily_need})::numeric, 1)::float END"


def daily_need_sql(used: str, open_cases: str, per_case: str, window: str) -> str:
    """The larger of recent use per day and open cases times the daily use per case."""
    return (f"greatest(coalesce({used}, 0)::float / {window}, "
            f"coalesce({open_cases}, 0) * {per_case})")


_STATIONS_LOC = """
loc AS (
    SELECT l.id, l.station_id FROM stock_location l JOIN st ON st.id = l.station_id
    WHERE l.kind = 'station'
), keys AS (
    SELECT i.id AS item_id, i.map_key, i.min_station_stock, i.daily_use_per_case
    FROM catalog_item i WHERE i.map_key IS NOT NULL AND NOT i.deleted
)"""

# Key-item state per station in scope, one row per station and key. A key sums its items
# (all oxygen cylinder sizes are "oxygen"), their minimums and their daily use per case.
STATION_STATES_SQL = """
WITH st AS (
    SELECT s.id FROM station s
    WHERE NOT s.deleted AND {scope} {ids}
),""" + _STATIONS_LOC + """, qty AS (
    SELECT loc.station_id, keys.map_key, sum(b.qty) AS qty
    FROM keys JOIN stock_balance b ON b.item_id = keys.item_id
    JOIN loc ON loc.id = b.location_id
    GROUP BY 1, 2
), used AS (
    SELECT loc.station_id, keys.map_key, sum(m.quantity) AS used
    FROM keys JOIN stock_movement m
      ON m.item_id = keys.item_id AND m.kind IN ('issue', 'transfer_out')
     AND m.occurred_at >= now() - make_interval(days => {window})
    JOIN loc ON loc.id = m.location_id
    GROUP BY 1, 2
), grid AS (
    SELECT st.id AS station_id, need.map_key, coalesce(qty.qty, 0) AS qty, need.min_stock,
           """ + daily_need_sql("used.used", "cl.open_cases", "need.per_case", "{window}") + """
           AS daily_need
    FROM st
    CROSS JOIN (SELECT map_key, sum(min_station_stock) AS min_stock,
                       sum(daily_use_per_case) AS per_case
                FROM keys GROUP BY map_key) need
    LEFT JOIN qty ON qty.station_id = st.id AND qty.map_key = need.map_key
    LEFT JOIN used ON used.station_id = st.id AND used.map_key = need.map_key
    LEFT JOIN station_caseload cl ON cl.station_id = st.id
)
SELECT station_id, map_key,
       """ + key_state_sql("qty", "min_stock", "daily_need", "{low_days}") + """,
       qty,
       """ + days_of_cover_sql("qty", "daily_need") + """
FROM grid
"""


def key_columns_ctes(keys: tuple[str, ...], *, window: int, low_days: int) -> str:
    """The same rule as CTEs over a CTE ``st`` (stations, column ``id``), ending in
    ``key_columns``: one row per station, its id then (state, qty, days_of_cover) per key in
    ``keys`` order, all null for a key the catalog does not have. For the map: one row per
    station, from the figures kept per station by triggers on the ledger (migration 0019,
    ``station_key_stock`` and ``station_key_issues``, one array slot per key in
    ``map_key_slots()`` order, which is ``keys``): pivoting 20,000 balance and movement rows
    by key per request was two thirds of the map's statement (bench/results/map_notes.md).

    The quantity is the slot of ``station_key_stock`` (the station's balances of the key).
    The recent use is exact to the instant, as the other views count it
    (issues and transfers out since ``now() - window days``): the whole UTC days after the
    window's first day from ``station_key_issues``, and that first day's movements since the
    window's start from the ledger itself (a seventh of the window, by its usage index).
    ``key_inputs`` is materialized so each key's quantity and daily need are computed once,
    not once for every place the rule names them."""
    def per_key(template: str) -> str:
        return ",\n           ".join(template.format(k=k, n=n) for n, k in enumerate(keys, 1))

    start = f"now() - make_interval(days => {window})"
    first_day = f"(({start}) AT TIME ZONE 'UTC')::date"
    need = per_key("sum(min_station_stock) FILTER (WHERE map_key = '{k}') AS {k}_min, "
                   "sum(daily_use_per_case) FILTER (WHERE map_key = '{k}') AS {k}_per_case, "
                   "bool_or(map_key = '{k}') AS {k}_known")
    columns = ",\n           ".join(
        f"coalesce(q.on_hand[{n}], 0)::bigint AS {k}_q, n.{k}_min, n.{k}_known, "
        + daily_need_sql(f"u.{k}", "cl.open_cases", f"n.{k}_per_case", str(window))
        + f" AS {k}_need"
        for n, k in enumerate(keys, 1)
    )
    figures = ",\n           ".join(
        f"CASE WHEN {k}_known THEN "
        + key_state_sql(f"{k}_q", f"{k}_min", f"{k}_need", str(low_days)) + " END, "
        f"CASE WHEN {k}_known THEN {k}_q END, "
        f"CASE WHEN {k}_known THEN " + days_of_cover_sql(f"{k}_q", f"{k}_need") + " END"
        for k in keys
    )
    return _STATIONS_LOC + f""", need AS (
    SELECT {need}
    FROM keys
), used AS (
    SELECT station_id, {per_key("sum({k}) AS {k}")}
    FROM (
        SELECT d.station_id, {per_key("d.issued[{n}] AS {k}")}
        FROM station_key_issues d JOIN st ON st.id = d.station_id
        WHERE d.day > (SELECT {first_day})
        UNION ALL
        SELECT loc.station_id,
               {per_key("m.quantity * (keys.map_key = '{k}')::int AS {k}")}
        FROM keys JOIN stock_movement m
          ON m.item_id = keys.item_id AND m.kind IN ('issue', 'transfer_out')
         AND m.occurred_at >= {start}
         AND m.occurred_at < ({first_day} + 1)::timestamp AT TIME ZONE 'UTC'
        JOIN loc ON loc.id = m.location_id
    ) recent
    GROUP BY 1
), key_inputs AS MATERIALIZED (
    SELECT st.id AS station_id, {columns}
    FROM st CROSS JOIN need n
    LEFT JOIN station_key_stock q ON q.station_id = st.id
    LEFT JOIN used u ON u.station_id = st.id
    LEFT JOIN station_caseload cl ON cl.station_id = st.id
), key_columns AS (
    SELECT station_id, {figures}
    FROM key_inputs
)"""
