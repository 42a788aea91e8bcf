-- The text of one callback log file ($stream, $file_part), in line order (see callback_plan.sql).
-- $ipad/$opad sign with the auth token, $bad_ipad/$bad_opad with an old token (the
-- deliberately invalid signatures). The writer wraps this query in COPY ... TO.
-- The rows are sorted while still narrow; the text is built after the sort (projections after
-- an ORDER BY keep its order). Recording callbacks are built with the syn_rcb_* macros; the
-- few call status callbacks with generic parameter lists.
WITH plan AS (
    SELECT * FROM syn_cb_plan WHERE stream = $stream AND file_part = $file_part
), ordered AS (
    SELECT p.section, p.recv AS o_recv, p.tb, p.sub, p.kind, p.reason, p.ref, p.src,
           f.time_key, f.time_off, f.status_key, f.form_plus,
           coalesce(d.recv, c.recv) AS recv,
           coalesce(d.http_status, 200) AS http_status,
           -- the same token on a retry: it names the event, not the HTTP attempt
           CASE WHEN p.src = 'd' THEN syn_uuid(syn_hex($seed, 'tok', d.i * 2 + d.ev)) ELSE c.token END AS token,
           coalesce(d.pay, 'params') AS pay,
           coalesce(d.sig_bad, false) AS sig_bad,
           coalesce(a.callback_url, c.callback_url) AS url,
           d.ev, d.status, r.sid, r.start_ts, r.source, r.track, r.account_sid, r.channels,
           r.error_code, r.call_sid, r.conference_sid, r.dur,
           c.to_number, c.from_number, c.call_sid AS cs_call_sid, c.call_duration,
           c.account_sid AS cs_account_sid
    FROM plan p
    -- the text variant (time key, status key, form encoding) of the file the line was first
    -- written to, so that an overlap copy is the same bytes
    JOIN syn_cb_files f ON f.stream = p.stream AND f.file_part = p.src_part
    LEFT JOIN syn_dlv d ON p.src = 'd' AND d.dk = p.ref
    LEFT JOIN syn_rec r ON r.i = d.i
    LEFT JOIN syn_accounts a ON a.acct_idx = r.acct_idx
    LEFT JOIN syn_cs c ON p.src = 'c' AND c.j = p.ref
    ORDER BY p.section, p.recv, p.tb, p.sub
), vals AS (
    -- the parameter values of a recording callback (NULL = not sent)
    SELECT *,
           'https://api.twilio.com/2010-04-01/Accounts/' || account_sid || '/Recordings/' || sid AS rurl,
           'https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2F' || account_sid || '%2FRecordings%2F' || sid AS rurl_enc,
           channels::VARCHAR AS ch,
           CASE WHEN ev = 0 THEN '0' ELSE coalesce(error_code, 0)::VARCHAR END AS ecode,
           CASE WHEN source = 'Conference' THEN NULL ELSE call_sid END AS csid,
           syn_rfc2822(start_ts, 0) AS rstart,
           CASE WHEN ev = 0 THEN NULL ELSE dur::VARCHAR END AS dur_v,
           -- a call status callback that reached the same endpoint
           CASE WHEN src = 'c' THEN [
               {'k': 'Called', 'v': to_number},
               {'k': 'Direction', 'v': 'inbound'},
               {'k': 'Timestamp', 'v': syn_rfc2822(date_trunc('second', recv), 0)},
               {'k': 'CallbackSource', 'v': 'call-progress-events'},
               {'k': 'SequenceNumber', 'v': '0'},
               {'k': 'CallSid', 'v': cs_call_sid},
               {'k': 'To', 'v': to_number},
               {'k': 'ApiVersion', 'v': '2010-04-01'},
               {'k': 'CallStatus', 'v': 'completed'},
               {'k': 'Duration', 'v': ceil(call_duration / 60)::INTEGER::VARCHAR},
               {'k': 'From', 'v': from_number},
               {'k': 'CallDuration', 'v': call_duration::VARCHAR},
               {'k': 'AccountSid', 'v': cs_account_sid},
               {'k': 'Caller', 'v': from_number}
           ] END AS kv
    FROM ordered
), parts AS (
    SELECT *,
           -- the parameters as JSON members: Python's separators in the flat logs, compact in
           -- the envelopes
           CASE WHEN src = 'd'
                THEN syn_rcb_json(CASE WHEN $stream = 'flat' THEN ', ' ELSE ',' END,
                                  CASE WHEN $stream = 'flat' THEN ': ' ELSE ':' END,
                                  source, track, sid, rurl, status, ch, ecode, csid, conference_sid,
                                  rstart, account_sid, dur_v)
                ELSE array_to_string(list_transform(kv, lambda e: syn_js(e.k)
                         || CASE WHEN $stream = 'flat' THEN ': ' ELSE ':' END || syn_js(e.v)),
                         CASE WHEN $stream = 'flat' THEN ', ' ELSE ',' END)
           END AS members,
           CASE WHEN $stream IN ('envelope', 'form', 'notime') THEN
               CASE WHEN src = 'd'
                    THEN syn_rcb_form(form_plus AND $stream = 'form', source, track, sid, rurl_enc, status,
                                      ch, ecode, csid, conference_sid, url_encode(rstart), account_sid, dur_v)
                    ELSE syn_form(kv, form_plus AND $stream = 'form') END
           END AS body,
           CASE WHEN $stream = 'envelope' THEN
               CASE WHEN src = 'd'
                    THEN syn_rcb_signed(url, source, track, sid, rurl, status, ch, ecode, csid,
                                        conference_sid, rstart, account_sid, dur_v)
                    ELSE syn_signed_text(url, kv) END
           END AS signed
    FROM vals
), syn_cb_good_text AS (
    SELECT *,
           CASE WHEN kind = 'header' THEN NULL
             WHEN $stream = 'flat' THEN
               -- a Python logger: json.dumps(dict(received_at=..., **request.form))
               concat('{"', time_key, '": "', syn_iso(recv, time_off), '", ', members, '}')
             WHEN $stream = 'envelope' THEN
               -- a Node logger: the whole request, compact JSON. (concat(), not a chain of ||:
               -- each || copies the whole string built so far.)
               concat('{"received_at":"', syn_iso(recv, 0), '","method":"POST","url":', syn_js(url),
                      ',"headers":{"Host":"voice.example.com","Content-Type":"application/x-www-form-urlencoded; charset=UTF-8",',
                      '"User-Agent":"TwilioProxy/1.1","X-Home-Region":"us1","X-Twilio-Signature":"',
                      CASE WHEN sig_bad THEN syn_hmac_sha1($bad_ipad, $bad_opad, signed)
                           ELSE syn_hmac_sha1($ipad, $opad, signed) END,
                      '","I-Twilio-Idempotency-Token":"', token, '"},',
                      CASE pay WHEN 'params' THEN '"params":{' WHEN 'form' THEN '"form":{' ELSE '"body":"' END,
                      CASE pay WHEN 'body' THEN body ELSE members END,
                      CASE pay WHEN 'body' THEN '"' ELSE '}' END,
                      ',"', status_key, '":', http_status, '}')
             WHEN $stream = 'form' THEN
               concat(syn_iso(recv, 0), CASE WHEN form_plus THEN ' ' ELSE chr(9) END, body)
             WHEN $stream = 'notime' THEN body
             WHEN $stream = 'csv' THEN
               -- received_at, then Twilio's parameters in their usual order; empty = not sent
               concat(syn_iso(recv, 0), ',', source, ',', coalesce(track, ''), ',', sid, ',', rurl, ',',
                      status, ',', ch, ',', ecode, ',', coalesce(csid, ''), ',', coalesce(conference_sid, ''),
                      ',"', rstart, '",', account_sid, ',', coalesce(dur_v, ''))
           END AS good_line
    FROM parts
)
SELECT CASE WHEN kind = 'header' THEN
                 'received_at,RecordingSource,RecordingTrack,RecordingSid,RecordingUrl,RecordingStatus,'
                 || 'RecordingChannels,ErrorCode,CallSid,ConferenceSid,RecordingStartTime,AccountSid,RecordingDuration'
            WHEN kind <> 'bad' THEN good_line
            -- str(dict) logged instead of JSON: single quotes
            WHEN reason = 'invalid_json' THEN replace(good_line, '"', '''')
            WHEN reason = 'truncated' AND $stream IN ('form', 'notime') THEN
                 -- cut inside the RecordingSid value
                 left(good_line, strpos(good_line, 'RecordingSid=') + 15 + floor(syn_part(syn_h($seed, 'cut', ref), 0) * 20)::INTEGER)
            WHEN reason = 'truncated' THEN
                 left(good_line, floor(length(good_line) * (0.3 + 0.5 * syn_part(syn_h($seed, 'cut', ref), 0)))::INTEGER)
            WHEN reason = 'bad_recording_sid' THEN replace(good_line, sid, 'RE123')
            -- a logger that did not quote CSV fields: the date's comma adds a column
            WHEN reason = 'wrong_column_count' THEN replace(good_line, '"' || rstart || '"', rstart)
       END AS line
FROM syn_cb_good_text
