INSERT INTO archive_plans (plan_hash, kind, path, format, recordings, stored_minutes, monthly_saving,
                           as_of, archive_after_days, delete_after_days, legal_hold, created_at)
VALUES ($plan_hash, $kind, $path, $format, $recordings, $stored_minutes, $monthly_saving,
        $as_of, $archive_after_days, $delete_after_days, $legal_hold, now())
ON CONFLICT (plan_hash) DO UPDATE SET path = excluded.path, created_at = excluded.created_at;
