-- Full-text search of mention texts: an FTS5 index over mentions.text (external content,
-- so the text is stored once), words folded to lower case without the diacritics Unicode
-- decomposes, so that "caffe" finds "caffè" and "nandu" finds "ñandú" (ł stays ł). Mentions are never updated in their text
-- and never deleted; the store's insert indexes each batch's new rows in one statement
-- (`upsert_mentions`), which is several times faster than a trigger row by row.
CREATE VIRTUAL TABLE mentions_fts USING fts5(
    text,
    content = 'mentions',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    -- Words only, no positions: searches are words and prefixes, never phrases.
    detail = none
);
INSERT INTO mentions_fts (rowid, text) SELECT rowid, text FROM mentions;
