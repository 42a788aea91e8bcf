-- One state per SID from this file: newest date_updated, then most final status, then the
-- later record. `newer` says whether it supersedes the stored state (or there is none).
CREATE OR REPLACE TEMP TABLE rec_best AS
WITH best AS (
    SELECT rowid AS line_no, * FROM rec_stage
    WHERE reject_reason IS NULL AND NOT skip
    QUALIFY row_number() OVER (PARTITION BY sid
                               ORDER BY date_updated DESC NULLS LAST, status_rank DESC, line_no DESC) = 1
)
SELECT b.*,
       r.sid IS NULL
       OR (b.date_updated IS NOT NULL AND r.date_updated IS NULL)
       OR b.date_updated > r.date_updated
       OR ((b.date_updated = r.date_updated OR (b.date_updated IS NULL AND r.date_updated IS NULL))
           AND b.status_rank > CASE r.status WHEN 'deleted' THEN 4
                                   WHEN 'completed' THEN 3 WHEN 'absent' THEN 3 WHEN 'failed' THEN 3
                                   WHEN 'processing' THEN 2 WHEN 'stopped' THEN 2
                                   WHEN 'in-progress' THEN 1 WHEN 'paused' THEN 1 ELSE 0 END)
       AS newer
FROM best b
LEFT JOIN recordings r ON r.sid = b.sid
