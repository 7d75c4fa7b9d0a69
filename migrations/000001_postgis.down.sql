-- The extensions stay: other schemas on a shared server may use PostGIS, and dropping it would take
-- their data with it. Only what the up migration added is removed.
DELETE FROM spatial_ref_sys WHERE srid BETWEEN 9205 AND 9218;
