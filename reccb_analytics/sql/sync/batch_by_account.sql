-- What one load of several accounts' recordings did for each account: recordings new or
-- changed (their ingest_id is the load's, as the upsert sets it only then) and records set
-- aside, credited by the account_sid in their text, else to $fallback_account (the account
-- whose work the load was for).
SELECT account_sid, sum(loaded)::BIGINT AS loaded, sum(rejected)::BIGINT AS rejected
FROM (
    SELECT account_sid, count(*) AS loaded, 0 AS rejected
    FROM recordings
    WHERE ingest_id = $ingest_id
    GROUP BY account_sid
    UNION ALL
    SELECT coalesce(nullif(regexp_extract(raw_text, '"account_?[sS]id"\s*:\s*"(AC[0-9a-fA-F]{32})"', 1), ''),
                    $fallback_account),
           0, count(*)
    FROM rejects
    WHERE ingest_id = $ingest_id
    GROUP BY 1
)
GROUP BY account_sid
