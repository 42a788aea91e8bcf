-- storage_costs: monthly average stored minutes, billable minutes, cost and recording fees.
-- Parameters: $start (first day of the first month), $last_day (the last day counted: the end
-- of the last month, or as_of if earlier), $by (NULL | 'account_sid'), $free, $rate.
--
-- Daily inventory as a running sum: +minutes on the creation day, -minutes on the deletion day
-- (a calendar joined to recordings with date conditions is 10-30x slower on large stores).
WITH media AS (
    SELECT CASE WHEN $by = 'account_sid' THEN account_sid END AS grp, minutes, created_day,
           deleted_day
    FROM ({{_stored_media}})
),
events AS (
    SELECT grp, created_day AS day, minutes AS delta FROM media WHERE created_day <= $last_day
    UNION ALL
    SELECT grp, deleted_day, -minutes FROM media WHERE deleted_day <= $last_day
),
opening AS (   -- minutes stored at the start of the first month
    SELECT grp, sum(delta) AS minutes FROM events WHERE day < $start GROUP BY grp
),
deltas AS (
    SELECT grp, day, sum(delta) AS delta FROM events WHERE day >= $start GROUP BY grp, day
),
days AS (
    SELECT CAST(unnest(generate_series(CAST($start AS DATE), CAST($last_day AS DATE),
                                       INTERVAL 1 DAY)) AS DATE) AS day
),
groups AS (
    SELECT grp FROM opening UNION SELECT grp FROM deltas
),
daily AS (
    SELECT
        g.grp,
        d.day,
        coalesce(o.minutes, 0)
            + sum(coalesce(x.delta, 0)) OVER (PARTITION BY g.grp ORDER BY d.day) AS stored
    FROM groups AS g
    CROSS JOIN days AS d
    LEFT JOIN deltas AS x ON x.grp IS NOT DISTINCT FROM g.grp AND x.day = d.day
    LEFT JOIN opening AS o ON o.grp IS NOT DISTINCT FROM g.grp
),
months AS (
    SELECT
        CAST(date_trunc('month', day) AS DATE)        AS month,
        count(*)                                      AS days,
        count(*) < day(last_day(min(day)))            AS partial
    FROM days
    GROUP BY 1
),
stored AS (
    SELECT grp, CAST(date_trunc('month', day) AS DATE) AS month, sum(stored) AS minute_days
    FROM daily
    GROUP BY 1, 2
),
fees AS (      -- one-time recording fees, by the UTC month of creation
    SELECT
        CASE WHEN $by = 'account_sid' THEN account_sid END AS grp,
        CAST(date_trunc('month', CAST(date_created AS DATE)) AS DATE) AS month,
        sum(abs(price))                               AS fees
    FROM recordings
    WHERE CAST(date_created AS DATE) BETWEEN $start AND $last_day
    GROUP BY 1, 2
),
billed AS (    -- what Twilio billed for storage (Usage Records, category recordingstorage)
    SELECT
        CASE WHEN $by = 'account_sid' THEN account_sid END AS grp,
        CAST(date_trunc('month', start_date) AS DATE) AS month,
        sum(price)                                    AS billed
    FROM usage_records
    WHERE category = 'recordingstorage' AND start_date BETWEEN $start AND $last_day
    GROUP BY 1, 2
),
keyset AS (
    SELECT grp, month FROM stored
    UNION SELECT grp, month FROM fees
    UNION SELECT grp, month FROM billed
    UNION SELECT NULL, month FROM months WHERE $by IS NULL
),
per AS (
    SELECT
        k.month,
        k.grp,
        m.days,
        m.partial,
        coalesce(s.minute_days, 0) / m.days           AS avg_stored_minutes,
        coalesce(f.fees, 0)                           AS recording_fees,
        b.billed                                      AS twilio_billed_storage
    FROM keyset AS k
    JOIN months AS m ON m.month = k.month
    LEFT JOIN stored AS s ON s.month = k.month AND s.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN fees AS f ON f.month = k.month AND f.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN billed AS b ON b.month = k.month AND b.grp IS NOT DISTINCT FROM k.grp
),
family AS (    -- the free tier is applied once, to all accounts together
    SELECT month, sum(avg_stored_minutes) AS total_avg FROM per GROUP BY month
),
shared AS (
    SELECT
        per.*,
        CASE WHEN family.total_avg > 0
             THEN greatest(family.total_avg - $free, 0) * per.avg_stored_minutes / family.total_avg
             ELSE 0 END                               AS billable_minutes
    FROM per JOIN family USING (month)
)
SELECT
    month,
    grp,
    CAST(avg_stored_minutes AS DOUBLE)                AS avg_stored_minutes,
    CAST(billable_minutes AS DOUBLE)                  AS billable_minutes,
    CAST(billable_minutes * $rate AS DOUBLE)          AS storage_cost,
    CAST(recording_fees AS DOUBLE)                    AS recording_fees,
    partial,
    days,
    CAST(twilio_billed_storage AS DOUBLE)             AS twilio_billed_storage,
    CAST(billable_minutes * $rate - twilio_billed_storage AS DOUBLE) AS difference
FROM shared
WHERE $by IS NULL OR avg_stored_minutes > 0 OR recording_fees > 0
      OR twilio_billed_storage IS NOT NULL
ORDER BY month, grp NULLS LAST
