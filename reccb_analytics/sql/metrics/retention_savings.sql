-- retention_savings inputs: recordings and stored minutes on $as_of per retention action.
SELECT
    count(*)                                                    AS recordings,
    coalesce(sum(stored_minutes), 0)                            AS stored_minutes,
    count(*) FILTER (WHERE action = 'delete')                   AS delete_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE action = 'delete'), 0)  AS delete_minutes,
    count(*) FILTER (WHERE action = 'archive')                  AS archive_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE action = 'archive'), 0) AS archive_minutes,
    count(*) FILTER (WHERE action = 'hold')                     AS hold_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE action = 'hold'), 0)    AS hold_minutes,
    count(*) FILTER (WHERE action = 'keep')                     AS keep_recordings,
    coalesce(sum(stored_minutes) FILTER (WHERE action = 'keep'), 0)    AS keep_minutes
FROM ({{_retention_classified}})
