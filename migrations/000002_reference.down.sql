DROP TABLE IF EXISTS imports;
DROP TRIGGER IF EXISTS layers_notify ON layers;
DROP FUNCTION IF EXISTS gisd_layers_notify();
DROP TABLE IF EXISTS layers;
DROP TABLE IF EXISTS land_use_codes;
DROP FUNCTION IF EXISTS gisd_fold(text);
