-- Helpers shared by the ingest statements (temporary: they live as long as the connection).
-- The reason a line over the record size limit is rejected.
CREATE OR REPLACE TEMP MACRO reccb_too_long(line, limit_chars) AS
    'line is ' || length(line) || ' characters long (limit ' || limit_chars || ')';
-- Lines of JSON (the NDJSON readers). JSON's blanks are space, tab and CR: a line of them is
-- blank, and an object may follow them. Whole-line functions (trim and ltrim copy the line,
-- length() counts its characters) cost as much as the JSON parse on lines of 1 KB, so each
-- runs only when a cheap test (starts with '{'; byte length within the limit, never fewer
-- bytes than characters) cannot decide. CASE, not OR, says so: with OR the whole-line side ran
-- for every line (staging 40% longer).
CREATE OR REPLACE TEMP MACRO reccb_blank_line(line) AS
    CASE WHEN line IS NULL THEN true WHEN starts_with(line, '{') THEN false
         ELSE trim(line, ' ' || chr(9) || chr(13)) = '' END;
CREATE OR REPLACE TEMP MACRO reccb_fits(line, limit_chars) AS
    CASE WHEN strlen(line) <= limit_chars THEN true ELSE length(line) <= limit_chars END;
CREATE OR REPLACE TEMP MACRO reccb_starts_object(line) AS
    CASE WHEN starts_with(line, '{') THEN true
         ELSE starts_with(ltrim(line, ' ' || chr(9) || chr(13)), '{') END;
CREATE OR REPLACE TEMP MACRO reccb_form_decode(s) AS url_decode(replace(s, '+', ' '));
CREATE OR REPLACE TEMP MACRO reccb_form_pairs(body) AS
    list_transform(list_filter(string_split(body, '&'), lambda kv: kv <> ''),
                   lambda kv: {'k': reccb_form_decode(split_part(kv, '=', 1)),
                               'v': reccb_form_decode(CASE WHEN position('=' IN kv) > 0
                                                           THEN substr(kv, position('=' IN kv) + 1)
                                                           ELSE '' END)});
-- NULL when a name repeats (a MAP needs unique keys; such a line is rejected, not guessed at).
CREATE OR REPLACE TEMP MACRO reccb_form_to_json(body) AS
    CASE WHEN len(list_distinct(list_transform(reccb_form_pairs(body), lambda p: p.k)))
              = len(reccb_form_pairs(body))
         THEN to_json(map_from_entries(reccb_form_pairs(body))) END;
CREATE OR REPLACE TEMP MACRO reccb_header(headers, name) AS
    list_filter(map_entries(json_transform(headers, '"MAP(VARCHAR, VARCHAR)"')),
                lambda e: lower(e.key) = name)[1].value;
-- An exact instant from RFC 2822 (Twilio REST and callbacks; the offset is honoured), ISO-8601
-- (a value without an offset is taken as UTC), or Unix epoch seconds. COALESCE evaluates
-- lazily, so the common form is tried first: RFC 2822 for Twilio's own fields...
-- The fallback trims the value once, inside a lambda: written out, trim(s) would appear several
-- times, and DuckDB's common-subexpression pass would compute it for every row, needed or not.
CREATE OR REPLACE TEMP MACRO reccb_instant_fallback(s) AS
    list_transform([trim(s)], lambda t:
        coalesce(try_strptime(t, '%a, %d %b %Y %H:%M:%S %z'),
                 try_strptime(t, '%d %b %Y %H:%M:%S %z'),
                 try_cast(t AS TIMESTAMPTZ),
                 CASE WHEN regexp_full_match(t, '[0-9]{9,10}(\.[0-9]+)?')
                      THEN to_timestamp(CAST(t AS DOUBLE))
                      -- epoch milliseconds, as JavaScript loggers write them
                      WHEN regexp_full_match(t, '[0-9]{12,13}')
                      THEN to_timestamp(CAST(t AS DOUBLE) / 1000) END))[1];
CREATE OR REPLACE TEMP MACRO reccb_instant(s) AS
    coalesce(try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
             try_cast(s AS TIMESTAMPTZ),
             reccb_instant_fallback(s));
-- ...and ISO-8601 for receive times written by users' loggers.
CREATE OR REPLACE TEMP MACRO reccb_instant_iso(s) AS
    coalesce(try_cast(s AS TIMESTAMPTZ),
             try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
             reccb_instant_fallback(s));
-- The Recording Status Callback parameters, typed as text, from a JSON object of parameters.
CREATE OR REPLACE TEMP MACRO reccb_twilio_params(j) AS
    json_transform(j, '{"AccountSid":"VARCHAR","CallSid":"VARCHAR","ConferenceSid":"VARCHAR",
        "RecordingSid":"VARCHAR","RecordingUrl":"VARCHAR","RecordingStatus":"VARCHAR",
        "RecordingDuration":"VARCHAR","RecordingChannels":"VARCHAR","RecordingStartTime":"VARCHAR",
        "RecordingSource":"VARCHAR","RecordingTrack":"VARCHAR","ErrorCode":"VARCHAR",
        "CallStatus":"VARCHAR"}');
-- The known parameters in a fixed order, NULL marked, for delivery ids.
CREATE OR REPLACE TEMP MACRO reccb_params_fingerprint(p) AS
    concat_ws(chr(31), coalesce(p.AccountSid, chr(0)), coalesce(p.CallSid, chr(0)),
              coalesce(p.ConferenceSid, chr(0)), coalesce(p.RecordingSid, chr(0)),
              coalesce(p.RecordingUrl, chr(0)), coalesce(p.RecordingStatus, chr(0)),
              coalesce(p.RecordingDuration, chr(0)), coalesce(p.RecordingChannels, chr(0)),
              coalesce(p.RecordingStartTime, chr(0)), coalesce(p.RecordingSource, chr(0)),
              coalesce(p.RecordingTrack, chr(0)), coalesce(p.ErrorCode, chr(0)),
              coalesce(p.CallStatus, chr(0)));
-- CSV fields honour double quotes ("" inside quotes is a quote); TSV, as the Twilio CLI writes
-- it, has no quoting: a tab always separates.
CREATE OR REPLACE TEMP MACRO reccb_csv_fields(line, sep) AS
    CASE WHEN sep = chr(9) THEN string_split(line, sep)
         ELSE list_transform(regexp_extract_all(line || sep, '("(?:[^"]|"")*"|[^"' || sep || ']*)' || sep, 1),
                             lambda f: CASE WHEN f LIKE '"%' THEN replace(f[2:-2], '""', '"') ELSE f END)
    END;
CREATE OR REPLACE TEMP MACRO reccb_csv_consumed(line, sep) AS
    sep = chr(9)
    OR list_sum(list_transform(regexp_extract_all(line || sep, '("(?:[^"]|"")*"|[^"' || sep || ']*)' || sep, 0),
                               lambda f: length(f))) = length(line) + 1;
-- The Recording fields either naming uses (the API's snake_case, the Twilio CLI's camelCase),
-- as text, from a JSON object.
CREATE OR REPLACE TEMP MACRO reccb_recording_fields(j) AS
    json_transform(j, '{"sid":"VARCHAR","account_sid":"VARCHAR","accountSid":"VARCHAR",
               "call_sid":"VARCHAR","callSid":"VARCHAR","conference_sid":"VARCHAR","conferenceSid":"VARCHAR",
               "status":"VARCHAR","source":"VARCHAR","channels":"VARCHAR","track":"VARCHAR",
               "duration":"VARCHAR","start_time":"VARCHAR","startTime":"VARCHAR",
               "date_created":"VARCHAR","dateCreated":"VARCHAR","date_updated":"VARCHAR","dateUpdated":"VARCHAR",
               "price":"VARCHAR","price_unit":"VARCHAR","priceUnit":"VARCHAR",
               "error_code":"VARCHAR","errorCode":"VARCHAR","media_url":"VARCHAR","mediaUrl":"VARCHAR",
               "uri":"VARCHAR","encryption_details":"JSON","encryptionDetails":"JSON",
               "encrypted":"VARCHAR"}');
-- Where a recording was seen (first_seen_in/last_seen_in): the file, or 'api:<AccountSid>' of
-- the account listed; for a sync load of several accounts (per_account), each recording's own.
CREATE OR REPLACE TEMP MACRO reccb_seen_in(account_sid, per_account, source_file) AS
    CASE WHEN per_account THEN coalesce('api:' || account_sid, source_file) ELSE source_file END;
