-- callback_delivery: how well Recording Status Callbacks reached the webhook, per group.
-- Parameters: $start, $end (DATE in $tz; start inclusive, end exclusive), $tz,
-- $by (NULL | 'source' | 'account_sid' | 'channels').
-- Recordings are dated as everywhere (start_time, else date_created; callbacks-only ones by
-- RecordingStartTime, else first delivery); deliveries count with the recording they concern.
WITH outcomes AS (
    {{_recording_outcomes}}
),
r AS (
    SELECT
        CASE $by
            WHEN 'source' THEN source
            WHEN 'account_sid' THEN account_sid
            WHEN 'channels' THEN CAST(channels AS VARCHAR)
        END AS grp,
        *,
        -- Elastic SIP Trunking sends no recording status callbacks by design.
        source IS NOT DISTINCT FROM 'Trunking' AS trunking
    FROM outcomes
    WHERE dated_at >= timezone($tz, CAST($start AS TIMESTAMP))
      AND dated_at <  timezone($tz, CAST($end AS TIMESTAMP))
)
SELECT
    grp,
    count(*) FILTER (WHERE in_metadata)                                   AS recordings,
    count(*) FILTER (WHERE in_metadata AND trunking)                      AS trunking_recordings,
    count(*) FILTER (WHERE in_metadata AND has_terminal_callback)         AS with_terminal_callback,
    with_terminal_callback / nullif(recordings, 0)                        AS callback_coverage,
    count(*) FILTER (WHERE in_metadata AND NOT trunking AND has_terminal_callback)
        / nullif(recordings - trunking_recordings, 0)                     AS expected_callback_coverage,
    count(*) FILTER (WHERE in_metadata AND NOT trunking AND NOT has_terminal_callback)
                                                                          AS missing_callbacks,
    count(*) FILTER (WHERE NOT in_metadata)                               AS callbacks_only,
    count(*) FILTER (WHERE metadata_outcome IS NOT NULL AND callback_outcome IS NOT NULL
                     AND metadata_outcome <> callback_outcome)            AS disagreements,
    CAST(coalesce(sum(deliveries), 0) AS BIGINT)                          AS deliveries,
    CAST(coalesce(sum(duplicate_deliveries), 0) AS BIGINT)                AS duplicate_deliveries,
    quantile_cont(latency_s, 0.5)                                         AS latency_p50_s,
    quantile_cont(latency_s, 0.95)                                        AS latency_p95_s,
    max(latency_s)                                                        AS latency_max_s,
    CAST(coalesce(sum(non_2xx_deliveries), 0) AS BIGINT)                  AS non_2xx_deliveries,
    CAST(coalesce(sum(invalid_signatures), 0) AS BIGINT)                  AS invalid_signatures,
    CASE
        WHEN $by = 'source' AND grp = 'Trunking'
            THEN 'Elastic SIP Trunking sends no recording status callbacks (by design, not a fault)'
        WHEN trunking_recordings > 0
            THEN trunking_recordings || ' Trunking recording(s) send no callbacks by design; '
                 || 'missing_callbacks leaves them out'
    END                                                                   AS note
FROM r
GROUP BY grp
ORDER BY grp NULLS LAST
