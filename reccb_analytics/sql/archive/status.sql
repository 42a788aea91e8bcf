-- What archiving and deleting have achieved up to the end of day $as_of (UTC), per account.
-- Stored minutes are ceil(duration_s / 60), as in storage_costs. "deleted" counts recordings this
-- toolkit deleted; "already_deleted" those it found gone (404) and so saved nothing itself.
WITH archived AS (
    SELECT sid, any_value(account_sid) AS account_sid, sum(bytes) AS bytes
    FROM (
        SELECT sid, account_sid, arg_max(bytes, verified_at) AS bytes
        FROM archive_copies
        WHERE verified_at < ($as_of::DATE + 1)::TIMESTAMPTZ
        GROUP BY sid, account_sid
    )
    GROUP BY sid
),
gone AS (
    SELECT sid,
           arg_min(account_sid, audited_at) AS account_sid,
           bool_or(outcome = 'deleted')     AS by_us
    FROM deletion_audit
    WHERE outcome IN ('deleted', 'already-deleted')
      AND audited_at < ($as_of::DATE + 1)::TIMESTAMPTZ
    GROUP BY sid
),
facts AS (
    SELECT coalesce(a.sid, g.sid)                                AS sid,
           coalesce(a.account_sid, g.account_sid, r.account_sid) AS account_sid,
           a.sid IS NOT NULL                                     AS archived,
           coalesce(a.bytes, 0)                                  AS bytes,
           coalesce(g.by_us, false)                              AS deleted,
           g.sid IS NOT NULL AND NOT g.by_us                     AS already_deleted,
           coalesce(ceil(r.duration_s / 60.0), 0)::BIGINT        AS stored_minutes
    FROM archived AS a
    FULL OUTER JOIN gone AS g USING (sid)
    LEFT JOIN recordings AS r ON r.sid = coalesce(a.sid, g.sid)
)
SELECT
    CASE WHEN $by_account THEN account_sid END                        AS account_sid,
    count(*) FILTER (WHERE archived)                                   AS archived_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE archived), 0)::BIGINT   AS archived_minutes,
    coalesce(sum(bytes) FILTER (WHERE archived), 0)::BIGINT            AS archived_bytes,
    count(*) FILTER (WHERE deleted)                                    AS deleted_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE deleted), 0)::BIGINT    AS deleted_minutes,
    count(*) FILTER (WHERE already_deleted)                            AS already_deleted_recordings
FROM facts
GROUP BY ALL
ORDER BY ALL;
