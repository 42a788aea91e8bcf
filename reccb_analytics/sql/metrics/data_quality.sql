-- data_quality: one row describing the store, for the notebooks' banner.
WITH outcomes AS (
    {{_recording_outcomes}}
),
recs AS (
    SELECT
        min(dated_at)                                                     AS data_start,
        max(dated_at)                                                     AS data_end,
        count(*) FILTER (WHERE in_metadata)                               AS recordings,
        count(*) FILTER (WHERE NOT in_metadata)                           AS callbacks_only_recordings,
        count(*) FILTER (WHERE in_metadata AND source IS DISTINCT FROM 'Trunking')
                                                                          AS callback_expected,
        count(*) FILTER (WHERE in_metadata AND source IS DISTINCT FROM 'Trunking'
                         AND has_terminal_callback)                       AS callback_received
    FROM outcomes
)
SELECT
    recs.data_start,
    recs.data_end,
    (SELECT max(finished_at) FROM ingest_files)                           AS last_ingested_at,
    (SELECT count(*) FROM ingest_files)                                   AS files_ingested,
    (SELECT count(*) FROM rejects)                                        AS rejected_records,
    recs.recordings,
    recs.callbacks_only_recordings,
    (SELECT count(*) FROM callback_deliveries)                            AS callback_deliveries,
    recs.callback_received / nullif(recs.callback_expected, 0)            AS callback_coverage,
    (SELECT count(*) FROM usage_records)                                  AS usage_records,
    (SELECT max(version) FROM schema_version)                             AS schema_version
FROM recs
