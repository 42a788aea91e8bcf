-- One row per recording known from REST metadata, from callbacks, or from both, with its outcome
-- and the facts every metric needs. Not run on its own: the other metrics/*.sql files include it
-- as a subquery through a double-brace include (see reccb_analytics/metrics/_common.py).
--
-- Outcome rule (docs/metrics.md, "Outcome of a recording"):
--   * a terminal REST metadata status wins: completed or deleted -> completed; absent; failed;
--   * else the latest received terminal callback (completed/absent/failed); a delivery without
--     received_at counts as older than any timed one; equal times prefer completed, then failed,
--     then absent (the order in which evidence of a stored file is strongest);
--   * else pending (no terminal status yet; unknown statuses such as 'paused' or 'weird' too).
-- The error code comes from the same evidence that decided the outcome.
SELECT
    coalesce(m.sid, c.sid)                                       AS sid,
    m.sid IS NOT NULL                                            AS in_metadata,
    c.sid IS NOT NULL                                            AS in_callbacks,
    coalesce(m.account_sid, c.account_sid)                       AS account_sid,
    coalesce(m.call_sid, c.call_sid)                             AS call_sid,
    coalesce(m.source, c.source)                                 AS source,
    coalesce(m.channels, c.channels)                             AS channels,
    m.status                                                     AS metadata_status,
    CASE
        WHEN lower(m.status) IN ('completed', 'deleted') THEN 'completed'
        WHEN lower(m.status) IN ('absent', 'failed') THEN lower(m.status)
    END                                                          AS metadata_outcome,
    CASE c.winner_key % 4 WHEN 3 THEN 'completed' WHEN 2 THEN 'failed' WHEN 1 THEN 'absent' END
                                                                 AS callback_outcome,
    coalesce(metadata_outcome, callback_outcome, 'pending')      AS outcome,
    CASE
        WHEN metadata_outcome IS NOT NULL THEN 'metadata'
        WHEN callback_outcome IS NOT NULL THEN 'callback'
        ELSE 'none'
    END                                                          AS outcome_from,
    CASE
        WHEN metadata_outcome IS NOT NULL THEN nullif(m.error_code, 0)
        WHEN callback_outcome IS NOT NULL THEN c.winner_error_code
        ELSE nullif(m.error_code, 0)
    END                                                          AS error_code,
    -- A recording is dated by its start time, else its creation time; a recording known only
    -- from callbacks by RecordingStartTime, else by its first delivery.
    coalesce(m.start_time, m.date_created, c.start_time, c.first_received_at) AS dated_at,
    -- Storage and retention age run from creation (callbacks carry no creation time).
    coalesce(m.date_created, c.start_time, c.first_received_at)  AS created_at,
    coalesce(m.duration_s, c.duration_s)                         AS duration_s,
    CAST(ceil(greatest(coalesce(m.duration_s, c.duration_s, 0), 0) / 60.0) AS BIGINT)
                                                                 AS stored_minutes,
    -- Deleted at: the metadata's date_updated when its status is 'deleted' (its creation time if
    -- that is missing), or this toolkit's deletion log, whichever is earlier.
    least(
        CASE WHEN lower(m.status) = 'deleted' THEN coalesce(m.date_updated, m.date_created) END,
        d.deleted_at
    )                                                            AS deleted_at,
    c.winner_key IS NOT NULL                                     AS has_terminal_callback,
    c.first_terminal_at,
    epoch(c.first_terminal_at
          - (coalesce(m.start_time, c.start_time)
             + to_seconds(coalesce(m.duration_s, c.duration_s, 0)))) AS latency_s,
    coalesce(c.deliveries, 0)                                    AS deliveries,
    coalesce(c.deliveries - c.distinct_statuses, 0)              AS duplicate_deliveries,
    coalesce(c.non_2xx_deliveries, 0)                            AS non_2xx_deliveries,
    coalesce(c.invalid_signatures, 0)                            AS invalid_signatures
FROM recordings AS m
FULL OUTER JOIN (
    -- One pass over the deliveries, grouped by recording. Aggregates a query does not use are
    -- dropped by DuckDB's optimizer, so the delivery statistics cost only callback_delivery.
    SELECT
        recording_sid                                            AS sid,
        -- The winning terminal delivery has the largest key; its status is key % 4. A plain
        -- max() over an integer is several times cheaper than arg_max over structs.
        max(terminal_key)                                        AS winner_key,
        arg_max_null(nullif(error_code, 0), terminal_key)        AS winner_error_code,
        min(received_at) FILTER (WHERE terminal_key IS NOT NULL) AS first_terminal_at,
        min(account_sid)                                         AS account_sid,
        min(call_sid)                                            AS call_sid,
        min(source)                                              AS source,
        max(channels)                                            AS channels,
        min(start_time)                                          AS start_time,
        max(duration_s)                                          AS duration_s,
        min(received_at)                                         AS first_received_at,
        count(*)                                                 AS deliveries,
        -- Distinct statuses delivered (so duplicates = deliveries - this). The four usual ones
        -- are counted with flags; others with min/max, exact up to two different unusual
        -- statuses per recording. count(DISTINCT) would be exact but is planned as a separate
        -- aggregation that the optimizer cannot drop, doubling every metric's cost.
        (count(*) FILTER (WHERE status = 'in-progress') > 0)::INTEGER
          + (count(*) FILTER (WHERE status = 'completed') > 0)::INTEGER
          + (count(*) FILTER (WHERE status = 'absent') > 0)::INTEGER
          + (count(*) FILTER (WHERE status = 'failed') > 0)::INTEGER
          + (count(*) FILTER (WHERE status IS NULL) > 0)::INTEGER
          + (min(status) FILTER (WHERE status NOT IN ('in-progress', 'completed', 'absent', 'failed'))
             IS NOT NULL)::INTEGER
          + coalesce((
                min(status) FILTER (WHERE status NOT IN ('in-progress', 'completed', 'absent', 'failed'))
              < max(status) FILTER (WHERE status NOT IN ('in-progress', 'completed', 'absent', 'failed'))
            )::INTEGER, 0)
                                                                 AS distinct_statuses,
        count(*) FILTER (WHERE http_status IS NOT NULL AND (http_status < 200 OR http_status > 299))
                                                                 AS non_2xx_deliveries,
        count(*) FILTER (WHERE signature_valid = false)          AS invalid_signatures
    FROM (
        SELECT
            *,
            -- Terminal deliveries only: microseconds since 1970 (0 without received_at, so
            -- such a delivery is older than any timed one) x 4 + the tie-break rank of its
            -- status (completed 3, failed 2, absent 1).
            CASE WHEN lower(status) IN ('completed', 'absent', 'failed') THEN
                (CASE WHEN received_at IS NULL THEN 0 ELSE greatest(epoch_us(received_at), 1) END) * 4
                + CASE lower(status) WHEN 'completed' THEN 3 WHEN 'failed' THEN 2 ELSE 1 END
            END AS terminal_key
        FROM callback_deliveries
    )
    GROUP BY recording_sid
) AS c ON c.sid = m.sid
LEFT JOIN (
    SELECT sid, min(audited_at) AS deleted_at
    FROM deletion_audit
    WHERE outcome IN ('deleted', 'already-deleted')
    GROUP BY sid
) AS d ON d.sid = coalesce(m.sid, c.sid)
