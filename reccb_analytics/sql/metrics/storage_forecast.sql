-- storage_forecast inputs: minutes stored (all accounts) on UTC day $as_of and on $base_day.
SELECT
    coalesce(sum(minutes) FILTER (WHERE created_day <= $as_of
                                  AND coalesce(deleted_day, DATE '9999-12-31') > $as_of), 0)
        AS stored_at_as_of,
    coalesce(sum(minutes) FILTER (WHERE created_day <= $base_day
                                  AND coalesce(deleted_day, DATE '9999-12-31') > $base_day), 0)
        AS stored_at_base
FROM ({{_stored_media}})
