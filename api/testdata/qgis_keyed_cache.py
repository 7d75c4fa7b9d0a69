"""Opens one OGC API - Features layer of gisd in QGIS twice in one session, anonymously and with an
API key (QGIS's auth manager, method "Basic", the key as the password), in both orders, and prints
what each layer showed as JSON. QGIS keeps answers in its network disk cache by URL alone, whatever
key a request carried; the Go test checks that owner fields reach only the keyed layer.

usage: qgis_keyed_cache.py PROFILE_DIR KEY URL_A URL_B
URL_A and URL_B reach the same server under two names (127.0.0.1 and localhost), so the two orders
do not share cache entries."""
import json
import os
import sys

profile, key, url_a, url_b = sys.argv[1:5]
os.environ["QGIS_AUTH_DB_DIR_PATH"] = profile

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer  # noqa: E402

app = QgsApplication([], False, profile)
app.initQgis()
out = {"cached_files": 0, "layers": [], "errors": []}

auth = QgsApplication.authManager()
if not auth.setMasterPassword("gisd-test", True):
    out["errors"].append("cannot set the auth manager's master password")
cfg = QgsAuthMethodConfig("Basic")
cfg.setName("gisd")
cfg.setConfig("username", "qgis")
cfg.setConfig("password", key)
stored = auth.storeAuthenticationConfig(cfg)
if isinstance(stored, tuple):  # some bindings return (ok, cfg)
    ok, cfg = stored
else:
    ok = stored
if not ok or not cfg.id():
    out["errors"].append("cannot store the Basic auth config")


def open_layer(url, keyed, order):
    uri = "url='%s/ogc' typename='parcels' restrictToRequestBBOX='0'" % url
    if keyed:
        uri += " authcfg=%s" % cfg.id()
    layer = QgsVectorLayer(uri, "parcels", "OAPIF")
    entry = {"order": order, "keyed": keyed, "valid": layer.isValid(), "fields": [], "owners": []}
    if layer.isValid():
        entry["fields"] = [f.name() for f in layer.fields()]
        for feat in layer.getFeatures():
            owner = {}
            for name in ("owner_name", "owner_id_number", "certificate_no"):
                if layer.fields().indexOf(name) >= 0 and feat[name] not in (None, ""):
                    owner[name] = str(feat[name])
            entry["owners"].append(owner)
    else:
        entry["error"] = "invalid layer"  # layer.error() of an invalid OAPIF layer crashes QGIS 3.22
    out["layers"].append(entry)


open_layer(url_a, False, "anonymous first")
open_layer(url_a, True, "anonymous first")
open_layer(url_b, True, "keyed first")
open_layer(url_b, False, "keyed first")
# QGIS's disk cache (QgsNetworkDiskCache) writes its entries under the profile's home; count them
# so the test knows the cache was in play.
for root, _, files in os.walk(os.environ.get("HOME", profile)):
    if "cache" in root.lower():
        out["cached_files"] += sum(1 for f in files if f.endswith(".d"))
print(json.dumps(out))
app.exitQgis()
