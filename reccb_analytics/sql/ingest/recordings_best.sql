-- One state per SID from this file: newest date_updated, then most final status, then the
-- later record. `newer` says whether it supersedes the stored state (or there is none),
-- `stored` whether the SID is stored at all. Only narrow columns are kept: the winner's row
-- (line_no, its rowid in rec_stage) is read from rec_stage by the insert and the merge, so the
-- wide row (raw JSON included) is not copied once more (a window sorting whole rows cost 40%
-- more than this grouped arg_max; copying the winners to a table of their own, 15% more).
CREATE OR REPLACE TEMP TABLE rec_best AS
WITH pick AS (
    SELECT sid,
           arg_max(rowid, (coalesce(date_updated, TIMESTAMPTZ '-infinity'), status_rank, rowid)) AS line_no,
           max((coalesce(date_updated, TIMESTAMPTZ '-infinity'), status_rank, rowid)) AS ranked
    FROM rec_stage
    WHERE reject_reason IS NULL AND NOT skip
    GROUP BY sid
)
SELECT p.line_no, p.sid,
       r.sid IS NULL
       OR (p.ranked[1] > TIMESTAMPTZ '-infinity' AND r.date_updated IS NULL)
       OR p.ranked[1] > r.date_updated
       OR ((p.ranked[1] = r.date_updated OR (p.ranked[1] = TIMESTAMPTZ '-infinity' AND r.date_updated IS NULL))
           AND p.ranked[2] > CASE r.status WHEN 'deleted' THEN 4
                                   WHEN 'completed' THEN 3 WHEN 'absent' THEN 3 WHEN 'failed' THEN 3
                                   WHEN 'processing' THEN 2 WHEN 'stopped' THEN 2
                                   WHEN 'in-progress' THEN 1 WHEN 'paused' THEN 1 ELSE 0 END)
       AS newer,
       r.sid IS NOT NULL AS stored
FROM pick p
LEFT JOIN recordings r ON r.sid = p.sid
