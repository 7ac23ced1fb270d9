-- Mentions per channel, hour, language and sentiment, kept up in the same transaction as
-- each insert: the overview's charts read a few hundred rows instead of scanning a day of
-- mentions. `lang` and `sentiment` are '' when unknown.
CREATE TABLE mention_hours (
    channel    TEXT NOT NULL,
    hour       BIGINT NOT NULL,   -- hours since the Unix epoch
    lang       TEXT NOT NULL,
    sentiment  TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (channel, hour, lang, sentiment)
);
INSERT INTO mention_hours (channel, hour, lang, sentiment, n)
    SELECT channel, FLOOR(EXTRACT(EPOCH FROM created_at) / 3600)::BIGINT,
           COALESCE(lang, analysis_lang, ''), COALESCE(sentiment, ''), COUNT(*)
    FROM mentions GROUP BY 1, 2, 3, 4;
