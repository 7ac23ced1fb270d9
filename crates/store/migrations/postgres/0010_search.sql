-- Full-text search of mention texts: a tsvector of the text ('simple' configuration: every
-- language alike, no stemming, lower case; unaccent is an extension we do not require),
-- kept by PostgreSQL itself, with a GIN index. Adding it rewrites the table once.
ALTER TABLE mentions
    ADD COLUMN text_search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
CREATE INDEX mentions_text_search ON mentions USING GIN (text_search);
