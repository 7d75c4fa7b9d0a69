DROP TRIGGER IF EXISTS parcels_land_use_ins ON parcels;
DROP TRIGGER IF EXISTS parcels_land_use_upd ON parcels;
DROP FUNCTION IF EXISTS gisd_check_land_use_rows();
CREATE TRIGGER parcels_land_use BEFORE INSERT OR UPDATE OF land_use ON parcels
  FOR EACH ROW EXECUTE FUNCTION gisd_check_land_use();
