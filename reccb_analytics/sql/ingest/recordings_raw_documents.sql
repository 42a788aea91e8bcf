-- (CTE rec_raw) JSON documents: Twilio list pages ({"recordings": [...]}), single Recording
-- objects, or arrays of them (the API's own or the Twilio CLI's `-o json`), in file order: the
-- record number (rowid + 1 of the staged row) is the Recording's position in the file,
-- counting from 1 across documents.
WITH docs AS (
    SELECT row_number() OVER () AS doc_no, json AS doc
    FROM read_json_objects($path, format = 'auto', compression = $compression,
                           maximum_object_size = $max_document_bytes)
), items AS (
    SELECT doc_no,
           CASE WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, '$[*]')
                WHEN json_type(doc) = 'OBJECT' AND json_type(doc, '$.recordings') = 'ARRAY'
                     THEN json_extract(doc, '$.recordings[*]')
                ELSE [doc] END AS list
    FROM docs
), flat AS (
    SELECT doc_no, unnest(list_transform(list, lambda x, i: {'i': i, 'x': x}), recursive := false) AS item
    FROM items
)
SELECT false AS skip,
       item.x::VARCHAR AS raw_text,
       CASE WHEN json_type(item.x) <> 'OBJECT' THEN 'not a JSON object' END AS parse_error,
       CASE WHEN json_type(item.x) = 'OBJECT' THEN item.x END AS j,
       CASE WHEN json_type(item.x) = 'OBJECT' THEN reccb_recording_fields(item.x) END AS f
FROM flat
ORDER BY doc_no, item.i
