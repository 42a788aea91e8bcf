-- Rows of a delete plan: each delete candidate with the verified copy that justifies deleting it
-- (the most recently verified one when there are several). Candidates without a copy are not
-- delete candidates (retention_candidates requires one), but the inner join makes sure.
SELECT
    p.*,
    c.location,
    c.bytes,
    c.sha256,
    c.format
FROM delete_plan_base AS p
JOIN (
    SELECT sid, location, bytes, sha256, format,
           row_number() OVER (PARTITION BY sid ORDER BY verified_at DESC, location) AS rank
    FROM archive_copies
) AS c ON c.sid = p.sid AND c.rank = 1
ORDER BY p.account_sid, p.sid;
