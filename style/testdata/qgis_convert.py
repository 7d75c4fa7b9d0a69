"""Converts a MapLibre GL style with QGIS's converter (QgsMapBoxGlStyleConverter, what QGIS uses
for a vector tile connection's style URL) and prints what it made as JSON: its warnings, the
renderer's styles with their data-defined properties, and the labeling styles."""
import json
import sys

from qgis.core import QgsApplication, QgsMapBoxGlStyleConverter

app = QgsApplication([], False)
app.initQgis()
with open(sys.argv[1], encoding="utf-8") as f:
    style = json.load(f)
conv = QgsMapBoxGlStyleConverter()
if conv.convert(style) != QgsMapBoxGlStyleConverter.Success:
    print(conv.errorMessage(), file=sys.stderr)
    sys.exit(1)
out = {"warnings": list(conv.warnings()), "styles": [], "labels": []}
for s in conv.renderer().styles():
    data = {}
    sym = s.symbol()
    if sym is not None:
        for i in range(sym.symbolLayerCount()):
            props = sym.symbolLayer(i).dataDefinedProperties()
            for k in props.propertyKeys():
                data["%d.%d" % (i, k)] = props.property(k).expressionString()
    out["styles"].append({"Name": s.styleName(), "Layer": s.layerName(), "Filter": s.filterExpression(), "Data": data})
if conv.labeling() is not None:
    for s in conv.labeling().styles():
        out["labels"].append({"Name": s.styleName(), "Layer": s.layerName(), "Field": s.labelSettings().fieldName,
                              "Filter": s.filterExpression(), "MinZoom": s.minZoomLevel(), "MaxZoom": s.maxZoomLevel()})
print(json.dumps(out))
app.exitQgis()
