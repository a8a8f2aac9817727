-- postgres only: trigrams let a search for part of an item's name (the
-- admin's, over every gift ever given) use an index rather than read every
-- row. pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

-- postgres only
CREATE INDEX gamekit_items_name_trgm ON gamekit_items USING gin (name public.gin_trgm_ops);
