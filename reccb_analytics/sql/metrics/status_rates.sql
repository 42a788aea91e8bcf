-- status_rates: recordings per period (and group) by outcome, with absent and failed rates.
-- Parameters: $start, $end (DATE, local to $tz; start inclusive, end exclusive), $tz,
-- $freq ('day' | 'week' | 'month'), $by (NULL | 'source' | 'account_sid' | 'channels').
-- Every period of the range appears (with zeros) for every group seen in the range.
WITH outcomes AS (
    {{_recording_outcomes}}
),
dated AS (
    SELECT
        CASE $freq
            WHEN 'day'  THEN CAST(timezone($tz, dated_at) AS DATE)
            WHEN 'week' THEN CAST(date_trunc('week', timezone($tz, dated_at)) AS DATE)
            ELSE CAST(date_trunc('month', timezone($tz, dated_at)) AS DATE)
        END AS period,
        CASE $by
            WHEN 'source' THEN source
            WHEN 'account_sid' THEN account_sid
            WHEN 'channels' THEN CAST(channels AS VARCHAR)
        END AS grp,
        outcome
    FROM outcomes
    -- Local midnights of start and end in $tz, as instants.
    WHERE dated_at >= timezone($tz, CAST($start AS TIMESTAMP))
      AND dated_at <  timezone($tz, CAST($end AS TIMESTAMP))
),
counts AS (
    SELECT
        period,
        grp,
        count(*)                                      AS recordings,
        count(*) FILTER (WHERE outcome = 'completed') AS completed,
        count(*) FILTER (WHERE outcome = 'absent')    AS absent,
        count(*) FILTER (WHERE outcome = 'failed')    AS failed,
        count(*) FILTER (WHERE outcome = 'pending')   AS pending
    FROM dated
    GROUP BY period, grp
),
periods AS (
    SELECT DISTINCT
        CASE $freq
            WHEN 'day'  THEN day
            WHEN 'week' THEN CAST(date_trunc('week', day) AS DATE)
            ELSE CAST(date_trunc('month', day) AS DATE)
        END AS period
    FROM (
        SELECT CAST(unnest(generate_series(CAST($start AS DATE), CAST($end AS DATE) - 1,
                                           INTERVAL 1 DAY)) AS DATE) AS day
    )
),
groups AS (
    SELECT DISTINCT grp FROM counts
    UNION
    SELECT NULL WHERE $by IS NULL
)
SELECT
    p.period,
    g.grp,
    coalesce(c.recordings, 0)                         AS recordings,
    coalesce(c.completed, 0)                          AS completed,
    coalesce(c.absent, 0)                             AS absent,
    coalesce(c.failed, 0)                             AS failed,
    coalesce(c.pending, 0)                            AS pending,
    -- Rates are over recordings with a terminal outcome; pending ones are left out.
    coalesce(c.absent, 0) / nullif(coalesce(c.completed, 0) + coalesce(c.absent, 0)
                                   + coalesce(c.failed, 0), 0) AS absent_rate,
    coalesce(c.failed, 0) / nullif(coalesce(c.completed, 0) + coalesce(c.absent, 0)
                                   + coalesce(c.failed, 0), 0) AS failed_rate
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
