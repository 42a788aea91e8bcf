-- Ground-truth totals of the whole data set, as one JSON document.
-- "recordings" describes the newest state of every recording that has metadata; "callbacks"
-- describes the distinct deliveries (an exact re-logged line or an overlap copy is not a new
-- delivery; a Twilio retry is).
WITH meta AS (
    SELECT r.*, CASE WHEN deleted THEN 'deleted' ELSE outcome END AS final_status
    FROM syn_rec r WHERE in_meta
), first_recv AS (
    SELECT i,
           min(recv) FILTER (WHERE ev = 0) AS ip_first,
           min(recv) FILTER (WHERE ev = 1) AS term_first
    FROM syn_dlv GROUP BY i
), counts AS (
    SELECT
        (SELECT count(*) FROM syn_rec) AS generated,
        (SELECT count(*) FROM meta) AS in_metadata,
        (SELECT count(*) FROM syn_rec WHERE cb_only) AS callbacks_only,
        (SELECT count(*) FROM syn_rec WHERE has_cb) AS with_callbacks,
        (SELECT count(*) FROM syn_rec WHERE NOT has_cb) AS without_callbacks,
        (SELECT count(*) FROM syn_rec WHERE missing_cb) AS missing_callbacks,
        (SELECT count(*) FROM meta WHERE source = 'Trunking') AS trunking,
        (SELECT count(*) FROM meta WHERE deleted) AS deleted,
        (SELECT count(*) FROM meta WHERE encrypted) AS encrypted,
        (SELECT count(*) FROM meta WHERE off_min <> 0) AS plus0100_dates,
        (SELECT count(*) FROM meta WHERE early) AS older_export_in_progress,
        (SELECT count(*) FROM first_recv WHERE ip_first > term_first) AS out_of_order_recordings,
        (SELECT count(*) FROM syn_dlv) AS deliveries,
        (SELECT count(*) FROM syn_dlv WHERE attempt > 1) AS retries,
        (SELECT count(DISTINCT i * 2 + ev) FROM syn_dlv) AS events,
        (SELECT count(DISTINCT i) FROM syn_dlv) AS cb_recordings,
        (SELECT count(*) FROM syn_dlv WHERE stream = 'envelope') AS signed_deliveries,
        (SELECT count(*) FROM syn_dlv WHERE sig_bad) AS invalid_signatures,
        (SELECT count(*) FROM syn_dlv WHERE stream = 'notime') AS deliveries_without_receive_time,
        (SELECT count(*) FROM syn_cs) AS call_status_callbacks
)
SELECT json_object(
    'recordings', json_object(
        'generated', generated,
        'in_metadata', in_metadata,
        'callbacks_only', callbacks_only,
        'with_callbacks', with_callbacks,
        'without_callbacks', without_callbacks,
        'missing_callbacks', missing_callbacks,
        'trunking', trunking,
        'deleted', deleted,
        'encrypted', encrypted,
        'plus0100_dates', plus0100_dates,
        'older_export_in_progress', older_export_in_progress,
        'by_status', (SELECT json_group_object(final_status, n) FROM
                         (SELECT final_status, count(*) AS n FROM meta GROUP BY ALL ORDER BY 1)),
        'by_source', (SELECT json_group_object(source, n) FROM
                         (SELECT source, count(*) AS n FROM meta GROUP BY ALL ORDER BY 1)),
        'by_channels', (SELECT json_group_object(channels::VARCHAR, n) FROM
                         (SELECT channels, count(*) AS n FROM meta GROUP BY ALL ORDER BY 1)),
        'absent_by_error_code', (SELECT coalesce(json_group_object(error_code::VARCHAR, n), '{}') FROM
                         (SELECT error_code, count(*) AS n FROM meta WHERE outcome = 'absent' GROUP BY ALL ORDER BY 1)),
        'failed_by_error_code', (SELECT coalesce(json_group_object(error_code::VARCHAR, n), '{}') FROM
                         (SELECT error_code, count(*) AS n FROM meta WHERE outcome = 'failed' GROUP BY ALL ORDER BY 1)),
        'by_account', (SELECT json_group_object(account_sid, n) FROM
                         (SELECT account_sid, count(*) AS n FROM meta GROUP BY ALL ORDER BY 1))
    ),
    'callbacks', json_object(
        'recordings', cb_recordings,
        'callbacks_only_recordings', callbacks_only,
        'deliveries', deliveries,
        'deliveries_by_status', (SELECT json_group_object(status, n) FROM
                         (SELECT status, count(*) AS n FROM syn_dlv GROUP BY ALL ORDER BY 1)),
        'events', events,
        'events_by_status', (SELECT json_group_object(status, n) FROM
                         (SELECT status, count(DISTINCT i) AS n FROM syn_dlv GROUP BY ALL ORDER BY 1)),
        'retries', retries,
        'http_status', (SELECT json_group_object(http_status::VARCHAR, n) FROM
                         (SELECT http_status, count(*) AS n FROM syn_dlv WHERE stream = 'envelope' GROUP BY ALL ORDER BY 1)),
        'signed_deliveries', signed_deliveries,
        'invalid_signatures', invalid_signatures,
        'out_of_order_recordings', out_of_order_recordings,
        'deliveries_without_receive_time', deliveries_without_receive_time,
        'call_status_callbacks', call_status_callbacks
    )
)::VARCHAR AS totals
FROM counts;
