-- Kept in step with PostgreSQL's 0015 (its full-text search now folds diacritics); the
-- SQLite index has folded them since 0010 (FTS5 remove_diacritics).
SELECT 1;
