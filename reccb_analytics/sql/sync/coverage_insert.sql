-- Listed windows of one account (lists bound in parallel, one element per window).
INSERT INTO sync_coverage (account_sid, day_from, day_to, listed_at, recordings, run_id, ingest_id)
SELECT $account_sid, unnest($day_from::DATE[]), unnest($day_to::DATE[]),
       unnest($listed_at::TIMESTAMPTZ[]), unnest($recordings::BIGINT[]), $run_id, $ingest_id
