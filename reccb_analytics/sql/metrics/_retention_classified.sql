-- Recordings that exist at Twilio on $as_of (outcome completed, created on or before $as_of, not
-- deleted on or before it), each with its retention action. Included by retention_candidates
-- and retention_savings. Parameters: $as_of (DATE), $archive_after, $delete_after (days),
-- $require_archive (BOOLEAN), $holds (VARCHAR[] of RE/CA SIDs on legal hold).
WITH outcomes AS (
    {{_recording_outcomes}}
),
holds AS (
    SELECT DISTINCT unnest(CAST($holds AS VARCHAR[])) AS hold_sid
),
copies AS (    -- recordings with a verified archived copy (verified by the end of $as_of)
    SELECT DISTINCT sid
    FROM archive_copies
    WHERE verified_at IS NOT NULL AND CAST(verified_at AS DATE) <= $as_of
),
live AS (
    SELECT
        o.sid,
        o.account_sid,
        o.call_sid,
        o.stored_minutes,
        CAST($as_of AS DATE) - CAST(o.created_at AS DATE) AS age_days,
        hs.hold_sid IS NOT NULL                     AS held_by_sid,
        hc.hold_sid IS NOT NULL                     AS held_by_call,
        cp.sid IS NOT NULL                          AS verified_copy
    FROM outcomes AS o
    LEFT JOIN holds AS hs ON hs.hold_sid = o.sid
    LEFT JOIN holds AS hc ON hc.hold_sid = o.call_sid
    LEFT JOIN copies AS cp ON cp.sid = o.sid
    WHERE o.outcome = 'completed'
      AND o.created_at IS NOT NULL
      AND CAST(o.created_at AS DATE) <= $as_of
      AND coalesce(CAST(o.deleted_at AS DATE), DATE '9999-12-31') > $as_of
)
SELECT
    *,
    CASE
        WHEN held_by_sid OR held_by_call THEN 'hold'
        WHEN age_days >= $delete_after AND (verified_copy OR NOT $require_archive) THEN 'delete'
        WHEN age_days >= $archive_after AND NOT verified_copy THEN 'archive'
        ELSE 'keep'
    END AS action
FROM live
