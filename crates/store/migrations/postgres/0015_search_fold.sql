-- Full-text search folds diacritics, as SQLite's index does: "cafe" finds "Café", "zołc"
-- finds "żółć" (no extension needed: Unicode NFD, then the combining marks U+0300–U+036F
-- are dropped). The query's words are folded the same way (`query::fold`). Rewrites the
-- table once.
CREATE FUNCTION firebreak_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT regexp_replace(normalize(lower(t), NFD), '[\u0300-\u036f]', '', 'g') $$;
DROP INDEX mentions_text_search;
ALTER TABLE mentions DROP COLUMN text_search;
ALTER TABLE mentions
    ADD COLUMN text_search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', firebreak_fold(text))) STORED;
CREATE INDEX mentions_text_search ON mentions USING GIN (text_search);
