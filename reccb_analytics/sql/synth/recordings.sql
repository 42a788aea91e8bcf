-- Every synthetic recording (the "universe"), one row each, with its whole life: which account
-- and call made it, when, how long, how it ended, whether it was deleted, whether and how its
-- callbacks were logged and in which metadata export it appears.
--
-- Rare features take the rows whose hash is below a rate, but at least the k lowest hashes
-- (syn_floor: a top-k, not a sort), so even the few-hundred-recording sample has each of them.
-- No window functions: sorting millions of wide rows is what made this slow.

-- 0. The row numbers, as a table: range() is a single-threaded source, a table scan is not.
CREATE OR REPLACE TABLE syn_ids AS SELECT range AS i FROM range(0, $n);

-- 1. Draws and the attributes that depend on nothing else.
CREATE OR REPLACE TABLE syn_rec0 AS
WITH h AS (
    SELECT i,
           syn_h($seed, 'r1', i) AS h1, syn_h($seed, 'r2', i) AS h2, syn_h($seed, 'r3', i) AS h3,
           syn_h($seed, 'r4', i) AS h4, syn_h($seed, 'r5', i) AS h5, syn_h($seed, 'r6', i) AS h6,
           syn_h($seed, 'r7', i) AS h7
    FROM syn_ids
), s1 AS (
    SELECT h.i, a.acct_idx, a.account_sid, a.encrypted, a.tz_h,
           CASE WHEN syn_part(h1, 1) < 0.30 THEN 'DialVerb'
                WHEN syn_part(h1, 1) < 0.42 THEN 'RecordVerb'
                WHEN syn_part(h1, 1) < 0.55 THEN 'Conference'
                WHEN syn_part(h1, 1) < 0.75 THEN 'StartCallRecordingAPI'
                WHEN syn_part(h1, 1) < 0.90 THEN 'OutboundAPI'
                ELSE 'Trunking' END AS source,
           syn_part(h1, 2) AS u_ch, syn_part(h1, 3) AS u_trk,
           -- half the traffic uniform over the period, half growing towards its end
           CASE WHEN syn_part(h2, 1) < 0.5 THEN floor(syn_part(h2, 0) * $ndays)
                ELSE floor(sqrt(syn_part(h2, 0)) * $ndays) END::INTEGER AS d0,
           syn_part(h2, 2) AS u_wknd,
           -- 80% in local business hours (peaking early afternoon), 20% at any hour
           CASE WHEN syn_part(h2, 3) < 0.8
                THEN floor((8 + 10 * (syn_part(h3, 0) + syn_part(h3, 1)) / 2) * 3600)
                ELSE floor(syn_part(h3, 0) * 86400) END::BIGINT AS local_s,
           -- a standard normal draw (Box-Muller) for the log-normal duration
           sqrt(-2 * ln(1 - syn_part(h3, 2))) * cos(2 * pi() * syn_part(h3, 3)) AS z,
           syn_part(h4, 0) AS u_proc, syn_part(h4, 1) AS u_fail, syn_part(h4, 2) AS u_absent,
           syn_part(h4, 3) AS u_del, syn_part(h5, 0) AS u_delt, syn_part(h5, 1) AS u_miss,
           syn_part(h5, 2) AS u_cbo, syn_part(h5, 3) AS u_ip, syn_part(h6, 0) AS u_ooo,
           syn_part(h6, 1) AS u_log, syn_part(h6, 2) AS u_off, syn_part(h6, 3) AS u_early,
           syn_part(h7, 0) AS u_fmt, syn_part(h7, 1) AS u_f2, syn_part(h7, 2) AS u_f2b,
           syn_part(h7, 3) AS u_single
    FROM h JOIN syn_accounts a ON syn_part(h.h1, 0) >= a.lo AND syn_part(h.h1, 0) < a.hi
), s2 AS (
    SELECT *, isodow(($t0 + to_days(d0))::DATE) AS dow FROM s1
), s3 AS (
    SELECT * EXCLUDE (d0, dow, local_s, u_wknd),
           -- most weekend traffic moves to the nearest weekday (Friday, or Monday at the start)
           $t0 + to_days(CASE WHEN dow >= 6 AND u_wknd < 0.7
                              THEN CASE WHEN d0 - (dow - 5) >= 0 THEN d0 - (dow - 5) ELSE d0 + (8 - dow) END
                              ELSE d0 END)
               + to_seconds(local_s - tz_h * 3600) AS start_raw,
           CASE source WHEN 'RecordVerb' THEN 30 WHEN 'Conference' THEN 420
                       WHEN 'StartCallRecordingAPI' THEN 150 WHEN 'OutboundAPI' THEN 110
                       WHEN 'Trunking' THEN 180 ELSE 95 END AS median_s,
           CASE source WHEN 'Conference' THEN 0.8 WHEN 'RecordVerb' THEN 0.9 ELSE 1.0 END AS sigma,
           CASE source WHEN 'RecordVerb' THEN 3600 ELSE 14400 END AS cap_s
    FROM s2
)
SELECT * EXCLUDE (u_ch, u_trk, start_raw, median_s, sigma, cap_s, z, tz_h),
       CASE WHEN source IN ('RecordVerb', 'Conference') THEN 1      -- always mono (changelog)
            WHEN source = 'Trunking' THEN CASE WHEN u_ch < 0.8 THEN 2 ELSE 1 END
            WHEN u_ch < 0.65 THEN 2 ELSE 1 END AS channels,
       CASE WHEN source = 'StartCallRecordingAPI'
                 THEN CASE WHEN u_trk < 0.8 THEN 'both' WHEN u_trk < 0.92 THEN 'inbound' ELSE 'outbound' END
            WHEN source IN ('DialVerb', 'OutboundAPI') THEN 'both'
            ELSE NULL END AS track,
       -- keep every recording inside the period, and finished 6 hours before its end
       CASE WHEN start_raw < $t0
                 THEN start_raw + to_days(ceil(date_diff('second', start_raw, $t0) / 86400)::INTEGER)
            WHEN start_raw > $t_end - INTERVAL 6 HOUR
                 THEN start_raw - to_days(ceil(date_diff('second', $t_end - INTERVAL 6 HOUR, start_raw) / 86400)::INTEGER)
            ELSE start_raw END AS start_ts,
       least(cap_s, greatest(2, round(median_s * exp(sigma * z))))::INTEGER AS length_s
FROM s3;

-- 2. How each recording ended, and whether its callbacks were lost.
CREATE OR REPLACE TABLE syn_rec1 AS
WITH t1 AS (
    SELECT
        -- failures (16104-16106) only where encryption is on: ~2.5% of that account, at least 3
        greatest(0.025, (SELECT max(u_fail) FROM (SELECT u_fail FROM syn_rec0 WHERE encrypted ORDER BY u_fail LIMIT 3))) AS thr_fail,
        -- callbacks never arrived for ~3% of the recordings that can have them (bad URL: 13256)
        greatest(0.03, (SELECT max(u_miss) FROM (SELECT u_miss FROM syn_rec0 WHERE source <> 'Trunking' ORDER BY u_miss LIMIT 2))) AS thr_miss
), t2 AS (
    -- absent: ~3% too short (16101), then ~1.5% silent (16102), at least 3 and 2
    SELECT t1.*,
           greatest(0.03, (SELECT max(u_absent) FROM (SELECT u_absent FROM syn_rec0, t1
                            WHERE NOT (encrypted AND u_fail <= thr_fail) ORDER BY u_absent LIMIT 3))) AS thr_101
    FROM t1
), t3 AS (
    SELECT t2.*,
           greatest(0.045, (SELECT max(u_absent) FROM (SELECT u_absent FROM syn_rec0, t2
                             WHERE NOT (encrypted AND u_fail <= thr_fail) AND u_absent > thr_101
                             ORDER BY u_absent LIMIT 2))) AS thr_102
    FROM t2
), o AS (
    SELECT r.* EXCLUDE (u_fail, u_absent, u_miss),
           CASE WHEN r.encrypted AND r.u_fail <= t.thr_fail THEN 'failed'
                WHEN r.u_absent <= t.thr_102 THEN 'absent'
                ELSE 'completed' END AS outcome,
           CASE WHEN r.encrypted AND r.u_fail <= t.thr_fail
                     THEN CASE WHEN r.u_fail / t.thr_fail < 0.5 THEN 16104
                               WHEN r.u_fail / t.thr_fail < 0.7 THEN 16105 ELSE 16106 END
                WHEN r.u_absent <= t.thr_101 THEN 16101
                WHEN r.u_absent <= t.thr_102 THEN 16102
           END AS error_code,
           r.source <> 'Trunking' AND r.u_miss <= t.thr_miss AS missing_cb,
           -- 16101: 0 or 1 second; 16102: a silent recording of a few seconds to a minute
           CASE WHEN NOT (r.encrypted AND r.u_fail <= t.thr_fail) AND r.u_absent <= t.thr_101
                     THEN floor(r.u_absent / t.thr_101 * 2)::INTEGER
                WHEN NOT (r.encrypted AND r.u_fail <= t.thr_fail) AND r.u_absent <= t.thr_102
                     THEN 3 + floor((r.u_absent - t.thr_101) / (t.thr_102 - t.thr_101) * 57)::INTEGER
                ELSE r.length_s END AS dur
    FROM syn_rec0 r, t3 t
)
SELECT * EXCLUDE (length_s, u_proc),
       -- processing after the recording stops: a few seconds, more for long recordings
       start_ts + to_seconds(dur + 1 + floor(u_proc * (10 + dur / 120))::BIGINT) AS done_at
FROM o;

DROP TABLE syn_rec0;
DROP TABLE syn_ids;

-- 3. Deletions, callback-only recordings, and how each one was logged and exported.
CREATE OR REPLACE TABLE syn_rec AS
WITH e AS MATERIALIZED (
    SELECT *,
           outcome = 'completed' AND done_at < $t_end - INTERVAL 2 DAY AS can_delete,
           source <> 'Trunking' AND NOT missing_cb AS has_cb,
           u_ip < 0.7 AS sub_ip                  -- in-progress events subscribed (default: completed only)
    FROM syn_rec1
), t1 AS (
    -- deleted recordings still listed (IncludeSoftDeleted keeps metadata 40 days): ~5%, at least 3
    SELECT greatest(0.05, (SELECT max(u_del) FROM (SELECT u_del FROM e WHERE can_delete ORDER BY u_del LIMIT 3))) AS thr_del
), t2 AS (
    -- seen only in callbacks (metadata purged long ago, or an account nobody exported): ~1%
    SELECT t1.*,
           greatest(0.01, (SELECT max(u_cbo) FROM (SELECT u_cbo FROM e, t1
                            WHERE has_cb AND NOT (can_delete AND u_del <= thr_del) ORDER BY u_cbo LIMIT 2))) AS thr_cbo
    FROM t1
), t3 AS (
    SELECT t2.*,
           -- fetched once while still in progress: the older export holds that state
           greatest(0.03, (SELECT max(u_early) FROM (SELECT u_early FROM e, t2
                            WHERE NOT (has_cb AND NOT (can_delete AND u_del <= thr_del) AND u_cbo <= thr_cbo)
                              AND NOT (can_delete AND u_del <= thr_del) ORDER BY u_early LIMIT 3))) AS thr_early,
           -- dates shown in +0100 in the REST exports (the same instant in another offset)
           greatest(0.03, (SELECT max(u_off) FROM (SELECT u_off FROM e, t2
                            WHERE NOT (has_cb AND NOT (can_delete AND u_del <= thr_del) AND u_cbo <= thr_cbo)
                            ORDER BY u_off LIMIT 2))) AS thr_off,
           -- in-progress delivered after completed (Twilio does not guarantee order)
           greatest(0.03, (SELECT max(u_ooo) FROM (SELECT u_ooo FROM e WHERE has_cb AND sub_ip ORDER BY u_ooo LIMIT 2))) AS thr_ooo,
           -- the single fetched Recording object: a deleted one, as in Twilio's own example
           (SELECT arg_min(i, u_single) FROM e, t1 WHERE can_delete AND u_del <= thr_del) AS single_i
    FROM t2
), f AS (
    SELECT e.*, t3.*,
           e.can_delete AND e.u_del <= t3.thr_del AS deleted
    FROM e, t3
), g AS (
    SELECT *,
           has_cb AND NOT deleted AND u_cbo <= thr_cbo AS cb_only,
           CASE WHEN deleted THEN greatest(done_at + INTERVAL 1 HOUR, $t_end - INTERVAL 40 DAY) END AS del_lo
    FROM f
)
SELECT i, acct_idx, account_sid, encrypted, source, channels, track,
       'RE' || syn_hex($seed, 'RE', i) AS sid,
       'CA' || syn_hex($seed, 'CA', i) AS call_sid,
       CASE WHEN source = 'Conference' THEN 'CF' || syn_hex($seed, 'CF', i) END AS conference_sid,
       start_ts, dur, outcome, error_code, done_at, deleted,
       CASE WHEN deleted THEN del_lo + to_seconds(floor(u_delt
                * date_diff('second', del_lo, $t_end - INTERVAL 1 HOUR))::BIGINT) END AS del_ts,
       missing_cb, cb_only, has_cb, NOT cb_only AS in_meta, sub_ip,
       has_cb AND sub_ip AND u_ooo <= thr_ooo AS out_of_order,
       CASE WHEN NOT has_cb THEN NULL
            WHEN u_log < 0.40 THEN 'envelope'
            WHEN u_log < 0.67 THEN 'flat'
            WHEN u_log < 0.87 THEN 'form'
            WHEN u_log < 0.97 THEN 'csv'
            ELSE 'notime' END AS logger,
       CASE WHEN NOT cb_only AND u_off <= thr_off THEN 60 ELSE 0 END AS off_min,
       NOT cb_only AND NOT deleted AND u_early <= thr_early AS early,
       coalesce(i = single_i, false) AS single,
       CASE WHEN cb_only THEN NULL
            WHEN u_fmt < 0.35 THEN 'pages'
            WHEN u_fmt < 0.55 THEN 'ndjson'
            WHEN u_fmt < 0.65 THEN 'array'
            WHEN u_fmt < 0.80 THEN 'cli'
            WHEN u_fmt < 0.90 THEN 'csv'
            ELSE 'tsv' END AS fmt,
       u_f2 < 0.08 AS in_second_export,
       floor(u_f2b * 5)::INTEGER AS second_shift
FROM g;

DROP TABLE syn_rec1;
