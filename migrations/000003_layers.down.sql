DELETE FROM layers WHERE id IN ('admin_units', 'parcels', 'constructions');
DROP TABLE IF EXISTS layer_features_history, constructions_history, parcels_history, admin_units_history;
DROP TABLE IF EXISTS layer_features, constructions, parcels, admin_units;
DROP TABLE IF EXISTS changes;
DROP FUNCTION IF EXISTS gisd_same_layer(), gisd_check_land_use(), gisd_record_changes(),
  gisd_refuse_truncate(), gisd_stamp_version(), gisd_official_area(geometry), gisd_actor(), gisd_now();
