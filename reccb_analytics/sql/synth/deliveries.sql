-- Every Recording Status Callback request Twilio made (one row per HTTP delivery), and a few
-- call status callbacks that the same endpoint logged.
-- dk (delivery key) = i * 4 + ev * 2 + (attempt - 1) is unique; ev 0 = in-progress, 1 = the
-- terminal event (completed / absent / failed).
CREATE OR REPLACE TABLE syn_dlv AS
WITH term AS (
    SELECT i, logger, sub_ip, out_of_order, start_ts, syn_h($seed, 'ev', i) AS he,
           -- the terminal callback leaves Twilio shortly after processing ends
           done_at + to_milliseconds((200 + floor(syn_part(syn_h($seed, 'ev', i), 0) * 1300))::BIGINT) AS term_recv,
           outcome
    FROM syn_rec
    WHERE has_cb
), ev AS (
    SELECT i, 1 AS ev, outcome AS status, logger, term_recv AS recv FROM term
    UNION ALL
    SELECT i, 0 AS ev, 'in-progress' AS status, logger,
           CASE WHEN out_of_order
                THEN term_recv + to_milliseconds((1000 + floor(syn_part(he, 1) * 19000))::BIGINT)
                ELSE start_ts + to_milliseconds((300 + floor(syn_part(he, 1) * 2200))::BIGINT) END AS recv
    FROM term
    WHERE sub_ip
), ev2 AS (
    SELECT *, syn_h($seed, 'retry', i * 2 + ev) AS hr,
           -- ~5% of requests failed with a 5xx and were retried (rc=1: one retry). Logs without
           -- a receive time cannot tell a retry from a duplicate, so that logger gets none.
           logger <> 'notime' AND syn_part(syn_h($seed, 'retry', i * 2 + ev), 0) < 0.05 AS retried
    FROM ev
), att AS (
    SELECT i, ev, 1 AS attempt, status, logger, recv,
           CASE WHEN retried THEN [500, 502, 503, 504][1 + floor(syn_part(hr, 1) * 4)::INTEGER] ELSE 200 END AS http_status
    FROM ev2
    UNION ALL
    SELECT i, ev, 2 AS attempt, status, logger,
           recv + to_milliseconds((2000 + floor(syn_part(hr, 2) * 13000))::BIGINT) AS recv,
           200 AS http_status
    FROM ev2
    WHERE retried
), keyed AS MATERIALIZED (
    SELECT *, i * 4 + ev * 2 + (attempt - 1) AS dk,
           syn_h($seed, 'dk', i * 4 + ev * 2 + (attempt - 1)) AS hk
    FROM att
)
SELECT i, ev, attempt, dk, status, logger AS stream, recv, http_status,
       -- envelope payload shape: parsed params, a "form" object, or the raw body string
       CASE WHEN syn_part(hk, 1) < 0.50 THEN 'params' WHEN syn_part(hk, 1) < 0.85 THEN 'body'
            ELSE 'form' END AS pay,
       syn_part(hk, 0) < 0.01 AS relogged,        -- written twice by the logger
       -- a few envelopes signed with an old (rotated) token: their signature must not validate
       logger = 'envelope' AND syn_part(hk, 2) <= greatest(0.005,
           (SELECT min(syn_part(hk, 2)) FROM keyed WHERE logger = 'envelope')) AS sig_bad
FROM keyed;

-- Call status callbacks (CallStatus=..., no RecordingSid) that reached the same endpoint.
CREATE OR REPLACE TABLE syn_cs AS
WITH j AS (
    SELECT j, syn_h($seed, 'cs', j) AS hc FROM range(0, greatest(3, round(0.002 * $n))::BIGINT) t(j)
)
SELECT j, ['envelope', 'flat', 'form'][(j % 3)::INTEGER + 1] AS stream,
       $t0 + to_milliseconds(floor(syn_part(hc, 0)
            * date_diff('millisecond', $t0, $t_end - INTERVAL 6 HOUR))::BIGINT) AS recv,
       a.account_sid, a.callback_url,
       'CA' || syn_hex($seed, 'CS', j) AS call_sid,
       (5 + floor(syn_part(hc, 2) * 600))::INTEGER AS call_duration,
       '+1415555' || lpad((100 + j % 100)::VARCHAR, 4, '0') AS from_number,
       '+1212555' || lpad((100 + (j * 7) % 100)::VARCHAR, 4, '0') AS to_number,
       syn_uuid(syn_hex($seed, 'cstok', j)) AS token
FROM j JOIN syn_accounts a ON syn_part(hc, 1) >= a.lo AND syn_part(hc, 1) < a.hi;
