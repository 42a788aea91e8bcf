-- Helpers for `reccb synth`. Every pseudo-random value is derived from md5(seed:salt:i), never
-- from random(), so the output is the same byte for byte whatever DuckDB's thread count.

-- A 128-bit hash of (seed, salt, i).
CREATE OR REPLACE MACRO syn_h(seed, salt, i) AS md5_number(concat_ws(':', seed, salt, i));

-- The k-th (0..3) 32-bit slice of a 128-bit hash, as a uniform number in [0, 1).
CREATE OR REPLACE MACRO syn_part(h, k) AS
    ((h >> CAST(32 * k AS UHUGEINT)) & CAST(4294967295 AS UHUGEINT))::DOUBLE / 4294967296.0;

-- 32 lower-case hex digits: the body of a Twilio SID.
CREATE OR REPLACE MACRO syn_hex(seed, salt, i) AS md5(concat_ws(':', seed, salt, i));

-- A JSON literal for a value (strings quoted and escaped); SQL NULL becomes JSON null.
CREATE OR REPLACE MACRO syn_js(x) AS coalesce(to_json(x)::VARCHAR, 'null');

-- A JSON string for a value that never needs escaping (SIDs, enum words, digits, URLs, dates);
-- SQL NULL becomes JSON null. Cheaper than to_json over millions of rows.
CREATE OR REPLACE MACRO syn_q(x) AS CASE WHEN x IS NULL THEN 'null' ELSE concat('"', x, '"') END;

-- "+hhmm" / "-hhmm" and "+hh:mm" / "-hh:mm" for an offset in minutes.
CREATE OR REPLACE MACRO syn_off(off_min, sep) AS
    CASE WHEN off_min < 0 THEN '-' ELSE '+' END
    || lpad((abs(off_min) // 60)::VARCHAR, 2, '0') || sep || lpad((abs(off_min) % 60)::VARCHAR, 2, '0');

-- RFC 2822 as Twilio writes it ("Fri, 14 Oct 2016 21:56:34 +0000"): the same instant shown in
-- the given offset, so "+0100" dates read one hour later on the clock.
CREATE OR REPLACE MACRO syn_rfc2822(ts, off_min) AS
    strftime(ts + to_minutes(off_min), '%a, %d %b %Y %H:%M:%S ') || syn_off(off_min, '');

-- ISO-8601 with milliseconds: "2026-04-20T23:45:25.000Z", or "...+02:00" in another offset.
CREATE OR REPLACE MACRO syn_iso(ts, off_min) AS
    strftime(ts + to_minutes(off_min), '%Y-%m-%dT%H:%M:%S.%g')
    || CASE WHEN off_min = 0 THEN 'Z' ELSE syn_off(off_min, ':') END;

-- One CSV field (RFC 4180 quoting); NULL is an empty field.
CREATE OR REPLACE MACRO syn_csv(x) AS
    CASE WHEN x IS NULL THEN ''
         WHEN regexp_matches(x, '[",\r\n]') THEN '"' || replace(x, '"', '""') || '"'
         ELSE x END;

-- HMAC-SHA1 of msg, base64-encoded, as twilio's RequestValidator computes X-Twilio-Signature:
-- ipad/opad are the 64-byte key pads (key XOR 0x36 / 0x5c), computed once in Python.
CREATE OR REPLACE MACRO syn_hmac_sha1(ipad, opad, msg) AS
    to_base64(unhex(sha1(opad || unhex(sha1(ipad || encode(msg))))));

-- The string RequestValidator signs: the URL, then name + value for every parameter in sorted order.
CREATE OR REPLACE MACRO syn_signed_text(url, kv) AS
    url || array_to_string(list_transform(list_sort(kv), lambda e: e.k || e.v), '');

-- Parameters as a form-encoded body; plus_spaces=true writes spaces as '+' (what Python's
-- urllib.parse.urlencode does) instead of Twilio's own '%20'.
CREATE OR REPLACE MACRO syn_form(kv, plus_spaces) AS
    array_to_string(list_transform(kv, lambda e:
        CASE WHEN plus_spaces THEN replace(url_encode(e.k), '%20', '+') || '=' || replace(url_encode(e.v), '%20', '+')
             ELSE url_encode(e.k) || '=' || url_encode(e.v) END), '&');

-- Parameters as a JSON object text, keys in Twilio's order; sep is ', ' (Python) or ',' (compact).
CREATE OR REPLACE MACRO syn_kv_json(kv, sep, colon) AS
    '{' || array_to_string(list_transform(kv, lambda e: syn_js(e.k) || colon || syn_js(e.v)), sep) || '}';

-- A UUID-shaped token from a hash (I-Twilio-Idempotency-Token).
CREATE OR REPLACE MACRO syn_uuid(hex) AS
    concat(hex[1:8], '-', hex[9:12], '-', hex[13:16], '-', hex[17:20], '-', hex[21:32]);

-- The parameters of one Recording Status Callback, in Twilio's order, built directly (no lists:
-- ten million lines). Absent parameters are NULL and left out (concat skips NULL). The values
-- never need JSON escaping or quoting: SIDs, enum words, digits, a URL and an RFC 2822 date.
-- As JSON members, with separator sep (', ' or ',') and colon col (': ' or ':'):
CREATE OR REPLACE MACRO syn_rcb_json(sep, col, source, track, sid, rurl, status, channels, ecode,
                                     call_sid, conf_sid, rstart, acct, dur) AS
    concat('"RecordingSource"', col, '"', source, '"',
           CASE WHEN track IS NOT NULL THEN concat(sep, '"RecordingTrack"', col, '"', track, '"') END,
           sep, '"RecordingSid"', col, '"', sid, '"',
           sep, '"RecordingUrl"', col, '"', rurl, '"',
           sep, '"RecordingStatus"', col, '"', status, '"',
           sep, '"RecordingChannels"', col, '"', channels, '"',
           sep, '"ErrorCode"', col, '"', ecode, '"',
           CASE WHEN call_sid IS NOT NULL THEN concat(sep, '"CallSid"', col, '"', call_sid, '"') END,
           CASE WHEN conf_sid IS NOT NULL THEN concat(sep, '"ConferenceSid"', col, '"', conf_sid, '"') END,
           sep, '"RecordingStartTime"', col, '"', rstart, '"',
           sep, '"AccountSid"', col, '"', acct, '"',
           CASE WHEN dur IS NOT NULL THEN concat(sep, '"RecordingDuration"', col, '"', dur, '"') END);

-- ... as a form-encoded body (rurl_enc and rstart_enc already URL-encoded; plus_spaces writes
-- the date's spaces as '+', like Python's urlencode, instead of Twilio's '%20'):
CREATE OR REPLACE MACRO syn_rcb_form(plus_spaces, source, track, sid, rurl_enc, status, channels,
                                     ecode, call_sid, conf_sid, rstart_enc, acct, dur) AS
    concat('RecordingSource=', source,
           CASE WHEN track IS NOT NULL THEN concat('&RecordingTrack=', track) END,
           '&RecordingSid=', sid, '&RecordingUrl=', rurl_enc, '&RecordingStatus=', status,
           '&RecordingChannels=', channels, '&ErrorCode=', ecode,
           CASE WHEN call_sid IS NOT NULL THEN concat('&CallSid=', call_sid) END,
           CASE WHEN conf_sid IS NOT NULL THEN concat('&ConferenceSid=', conf_sid) END,
           '&RecordingStartTime=', CASE WHEN plus_spaces THEN replace(rstart_enc, '%20', '+') ELSE rstart_enc END,
           '&AccountSid=', acct,
           CASE WHEN dur IS NOT NULL THEN concat('&RecordingDuration=', dur) END);

-- ... as the text RequestValidator signs: the URL, then name + value in sorted name order.
CREATE OR REPLACE MACRO syn_rcb_signed(url, source, track, sid, rurl, status, channels, ecode,
                                       call_sid, conf_sid, rstart, acct, dur) AS
    concat(url, 'AccountSid', acct,
           CASE WHEN call_sid IS NOT NULL THEN concat('CallSid', call_sid) END,
           CASE WHEN conf_sid IS NOT NULL THEN concat('ConferenceSid', conf_sid) END,
           'ErrorCode', ecode, 'RecordingChannels', channels,
           CASE WHEN dur IS NOT NULL THEN concat('RecordingDuration', dur) END,
           'RecordingSid', sid, 'RecordingSource', source, 'RecordingStartTime', rstart,
           'RecordingStatus', status,
           CASE WHEN track IS NOT NULL THEN concat('RecordingTrack', track) END,
           'RecordingUrl', rurl);
