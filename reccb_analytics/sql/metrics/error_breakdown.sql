-- error_breakdown: recordings per error code (and group), described from the reference table.
-- Parameters: $start, $end (DATE in $tz; start inclusive, end exclusive), $tz,
-- $by (NULL | 'source' | 'account_sid'), $codes_path (the shipped twilio_error_codes.csv).
WITH outcomes AS (
    {{_recording_outcomes}}
),
codes AS (
    SELECT *
    FROM read_csv($codes_path, header = true, auto_detect = false,
                  columns = {'code': 'INTEGER', 'level': 'VARCHAR', 'outcome': 'VARCHAR',
                             'category': 'VARCHAR', 'description': 'VARCHAR',
                             'cause': 'VARCHAR'})
),
counts AS (
    SELECT
        CASE $by WHEN 'source' THEN source WHEN 'account_sid' THEN account_sid END AS grp,
        error_code,
        count(*)                                      AS recordings,
        count(*) FILTER (WHERE outcome = 'completed') AS completed,
        count(*) FILTER (WHERE outcome = 'absent')    AS absent,
        count(*) FILTER (WHERE outcome = 'failed')    AS failed,
        count(*) FILTER (WHERE outcome = 'pending')   AS pending
    FROM outcomes
    WHERE error_code IS NOT NULL
      AND dated_at >= timezone($tz, CAST($start AS TIMESTAMP))
      AND dated_at <  timezone($tz, CAST($end AS TIMESTAMP))
    GROUP BY grp, error_code
)
SELECT
    c.grp,
    c.error_code,
    -- A code missing from the reference table is shown as unknown, never dropped.
    coalesce(k.description, 'unknown')                AS description,
    coalesce(k.outcome, 'unknown')                    AS outcome,
    c.recordings,
    c.recordings / sum(c.recordings) OVER (PARTITION BY c.grp) AS share,
    coalesce(k.level, 'unknown')                      AS level,
    coalesce(k.category, 'unknown')                   AS category,
    k.cause,
    k.code IS NOT NULL                                AS known,
    c.completed,
    c.absent,
    c.failed,
    c.pending
FROM counts AS c
LEFT JOIN codes AS k ON k.code = c.error_code
ORDER BY c.grp NULLS LAST, c.recordings DESC, c.error_code
