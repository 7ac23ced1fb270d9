-- The explorer's filters on analysis results, newest first. Each index starts with a column
-- of few values (3 sentiments, 5 intents, 8 categories, a dozen languages) followed by the
-- time, so an insert lands at the end of one of a few ranges (cheap, like the time index),
-- and a filter answers from its own range: at once when nothing matches, with the first
-- page early when much does. The other filter columns follow, so a combination of filters
-- is checked in the index without reading each row. (A random-key index such as author_id
-- would cost far more at ingest.)
CREATE INDEX mentions_by_sentiment_time
    ON mentions (sentiment, created_at, intent, category, channel);
CREATE INDEX mentions_by_intent_time
    ON mentions (intent, created_at, sentiment, category, channel);
CREATE INDEX mentions_by_category_time
    ON mentions (category, created_at, sentiment, intent, channel);
CREATE INDEX mentions_by_lang_time
    ON mentions ((COALESCE(lang, analysis_lang)), created_at, sentiment, intent, category, channel);
