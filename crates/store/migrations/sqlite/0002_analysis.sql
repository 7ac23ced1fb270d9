-- What analysis found (firebreak-analyze), NULL when the mention was stored
-- without analysis. The platform's own language stays in `lang`.
ALTER TABLE mentions ADD COLUMN analysis_lang TEXT;
ALTER TABLE mentions ADD COLUMN lang_confidence REAL;
ALTER TABLE mentions ADD COLUMN sentiment TEXT;
ALTER TABLE mentions ADD COLUMN sentiment_score REAL;
ALTER TABLE mentions ADD COLUMN p_negative REAL;
ALTER TABLE mentions ADD COLUMN p_neutral REAL;
ALTER TABLE mentions ADD COLUMN p_positive REAL;
ALTER TABLE mentions ADD COLUMN toxic REAL;
ALTER TABLE mentions ADD COLUMN insult REAL;
ALTER TABLE mentions ADD COLUMN threat REAL;
ALTER TABLE mentions ADD COLUMN identity_hate REAL;
ALTER TABLE mentions ADD COLUMN intent TEXT;
ALTER TABLE mentions ADD COLUMN intent_confidence REAL;
ALTER TABLE mentions ADD COLUMN category TEXT;
ALTER TABLE mentions ADD COLUMN register TEXT;
ALTER TABLE mentions ADD COLUMN emotional REAL;
