// The map for land officers: gisd's own vector tiles (administrative units, parcels coloured by
// land use, constructions, imported layers), a side panel for the parcel clicked, search by name,
// cadastral key or coordinates, the cursor position in WGS 84 and VN-2000, a date control and
// the API key. Nothing is loaded from outside the server unless a basemap is configured.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { LngLatBounds, Map as MapLibreMap, Marker, NavigationControl, Popup, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import proj4 from 'proj4';
import {
  api,
  applyI18n,
  debounce,
  el,
  fmtDate,
  fmtNumber,
  getApiKey,
  getLang,
  onApiKeyChange,
  onLangChange,
  t,
  wireApiKeyField,
  wireLangSwitch,
} from './common.js';
import { GROUP_COLORS, colorOf, fillColorExpression } from './landuse.js';

// build.mjs copies MapLibre's worker next to the bundle under a hashed name.
setWorkerUrl(new URL(__MAPLIBRE_WORKER__, location.href).href);

const BUILTIN = ['admin_units', 'parcels', 'constructions'];
const PARCELS_MIN_ZOOM_DEFAULT = 13;
const IMPORTED_COLORS = ['#1f77b4', '#9467bd', '#17becf', '#e377c2', '#8c564b', '#bcbd22', '#ff7f0e'];

const state = {
  config: null,
  catalog: [], // /api/v1/layers
  codes: [], // land-use codes
  codeByCode: {},
  groups: [],
  date: todayISO(),
  selected: null, // {commune, sheet, parcel}
  visible: { admin_units: true, parcels: true, constructions: true },
  labels: [], // {level, marker}
  hasDistricts: true,
  pointMarker: null,
};

// Tests and curious users reach the map and the state from the console.
window.gisd = { state, map: null, ready: false };

function todayISO() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const $ = (id) => document.getElementById(id);

// ---- status line ----

let messageTimer;
function setMessage(text, kind = 'info', sticky = false) {
  const m = $('message');
  m.textContent = text || '';
  m.dataset.kind = kind;
  clearTimeout(messageTimer);
  if (text && !sticky && kind !== 'error') messageTimer = setTimeout(() => (m.textContent = ''), 6000);
}

function setBusy(on) {
  $('busy').hidden = !on;
}

// ---- start ----

async function start() {
  applyI18n();
  wireLangSwitch();
  wireApiKeyField();
  $('date').value = state.date;
  setBusy(true);
  try {
    const [config, codes, layers] = await Promise.all([
      api('/api/v1/map-config'),
      api('/api/v1/land-use-codes'),
      api('/api/v1/layers'),
    ]);
    state.config = config;
    state.codes = codes.codes;
    state.groups = codes.groups;
    for (const c of state.codes) state.codeByCode[c.code] = c;
    state.catalog = layers.layers;
  } catch (e) {
    setBusy(false);
    showFatal(e);
    return;
  }
  proj4.defs('ZONE', state.config.zone.proj4);
  const zones = $('q-zone');
  zones.replaceChildren(...state.config.zones.map((z) => el('option', { value: String(z.srid), text: `${z.name} (EPSG:${z.srid})` })));
  zones.value = String(state.config.zone.srid);
  // On a tablet the layer panel floats over the map: start it folded.
  if (window.matchMedia('(max-width: 1000px)').matches) $('layers').querySelector('details').open = false;
  $('cursor-zone').textContent = state.config.zone.name;
  buildMap();
  wireSearch();
  wireDate();
  wirePanel();
  onApiKeyChange(() => {
    refreshCatalog();
    reloadTiles();
    if (state.selected) showParcel(state.selected, { at: state.selectedAt });
  });
  onLangChange(() => {
    renderLayerPanel();
    renderLegend();
    if (state.selected) showParcel(state.selected, { at: state.selectedAt });
    updateCursor(null);
  });
  window.addEventListener('focus', () => refreshCatalog());
  setInterval(() => refreshCatalog(), 20000);
}

function showFatal(e) {
  const box = $('fatal');
  box.hidden = false;
  box.querySelector('[data-field=message]').textContent = e.message;
  box.querySelector('[data-field=detail]').textContent = e.detail || '';
  box.querySelector('button').onclick = () => location.reload();
}

// ---- the map ----

function tileURL(layer, extra = '') {
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${extra}`;
}

function layerDoc(id) {
  return state.catalog.find((l) => l.id === id);
}

function buildMap() {
  const b = state.config.bounds;
  const parcelsMin = layerDoc('parcels')?.min_zoom ?? PARCELS_MIN_ZOOM_DEFAULT;
  const constructionsMin = layerDoc('constructions')?.min_zoom ?? 15;
  const sources = {
    admin_units: { type: 'vector', tiles: [tileURL('admin_units', `?date=${state.date}`)], minzoom: 0, maxzoom: 14 },
    parcels: { type: 'vector', tiles: [tileURL('parcels')], minzoom: parcelsMin, maxzoom: 16 },
    constructions: { type: 'vector', tiles: [tileURL('constructions')], minzoom: constructionsMin, maxzoom: 16 },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ea' } }];
  if (state.config.basemap?.url) {
    sources.basemap = { type: 'raster', tiles: [state.config.basemap.url], tileSize: 256 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.8 } });
  }
  layers.push(
    {
      id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'fill-color': fillColorExpression(state.codes), 'fill-opacity': 0.75 },
    },
    {
      id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'line-color': '#7a6a58', 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.2, 16, 0.8, 19, 1.5] },
    },
    {
      id: 'constructions-fill', type: 'fill', source: 'constructions', 'source-layer': 'constructions',
      paint: { 'fill-color': '#5b4e44', 'fill-opacity': 0.8 },
    },
    {
      id: 'constructions-line', type: 'line', source: 'constructions', 'source-layer': 'constructions',
      paint: { 'line-color': '#2b231d', 'line-width': 0.6 },
    },
    {
      id: 'admin-commune', type: 'line', source: 'admin_units', 'source-layer': 'admin_units',
      filter: ['==', ['get', 'level'], 'commune'], minzoom: 8,
      paint: { 'line-color': '#6d4c8d', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 12, 1.2], 'line-dasharray': [3, 2] },
    },
    {
      id: 'admin-district', type: 'line', source: 'admin_units', 'source-layer': 'admin_units',
      filter: ['==', ['get', 'level'], 'district'],
      paint: { 'line-color': '#5a2d82', 'line-width': ['interpolate', ['linear'], ['zoom'], 7, 1.2, 12, 2.5] },
    },
    {
      id: 'admin-province', type: 'line', source: 'admin_units', 'source-layer': 'admin_units',
      filter: ['==', ['get', 'level'], 'province'],
      paint: { 'line-color': '#3b1460', 'line-width': ['interpolate', ['linear'], ['zoom'], 7, 2, 12, 4] },
    },
    {
      id: 'parcels-selected', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      filter: ['==', ['get', 'parcel_no'], -1],
      paint: { 'line-color': '#d7191c', 'line-width': 3 },
    },
  );

  const map = new MapLibreMap({
    container: 'map',
    style: { version: 8, sources, layers },
    bounds: [b[0], b[1], b[2], b[3]],
    fitBoundsOptions: { padding: 20 },
    maxZoom: 20,
    hash: 'map',
    attributionControl: { compact: true, customAttribution: 'gisd' },
    transformRequest: (url) => {
      // The API key unlocks restricted layers; send it to our own server only.
      if (url.startsWith(location.origin) && getApiKey()) {
        return { url, headers: { Authorization: `Bearer ${getApiKey()}` } };
      }
      return { url };
    },
  });
  window.gisd.map = map;
  map.addControl(new NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.keyboard.enable();

  map.on('load', () => {
    addImportedLayers();
    renderLayerPanel();
    renderLegend();
    loadLabels();
    focusFromURL();
    window.gisd.ready = true;
    document.body.dataset.ready = 'true';
  });
  map.on('dataloading', () => setBusy(true));
  map.on('idle', () => {
    setBusy(false);
    renderLegend();
  });
  map.on('error', (e) => {
    setBusy(false);
    const status = e?.error?.status;
    if (status === 0 || e?.error?.message?.includes('Failed to fetch') || e?.error?.name === 'TypeError') {
      setMessage(t('err.noServer'), 'error');
    } else if (status >= 500) {
      setMessage(t('err.tiles'), 'error');
    }
  });
  map.on('mousemove', (e) => updateCursor(e.lngLat));
  map.on('mouseout', () => updateCursor(null));
  map.on('zoomend', updateLabelVisibility);
  map.on('click', (e) => onMapClick(e));
  // From the keyboard: with the map focused, Enter picks the parcel at the centre of the map.
  map.getCanvas().setAttribute('aria-description', t('map.keyboard'));
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const c = map.getCenter();
    onMapClick({ lngLat: c, point: map.project(c) });
  });
  map.on('mousemove', 'parcels-fill', () => (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'parcels-fill', () => (map.getCanvas().style.cursor = ''));
}

function reloadTiles() {
  const map = window.gisd.map;
  if (!map) return;
  for (const [id, src] of Object.entries(map.getStyle().sources)) {
    if (src.type === 'vector' && src.tiles) map.getSource(id).setTiles(src.tiles);
  }
}

// ---- imported layers ----

function importedLayers() {
  return state.catalog.filter((l) => !BUILTIN.includes(l.id));
}

function addImportedLayers() {
  const map = window.gisd.map;
  importedLayers().forEach((l, i) => {
    const src = `layer:${l.id}`;
    if (map.getSource(src)) return;
    const color = IMPORTED_COLORS[i % IMPORTED_COLORS.length];
    map.addSource(src, { type: 'vector', tiles: [tileURL(l.id)], minzoom: l.min_zoom ?? 0, maxzoom: Math.min(l.max_zoom ?? 16, 16) });
    const before = 'admin-commune';
    const g = l.geometry_type || 'Geometry';
    const vis = state.visible[l.id] === false ? 'none' : 'visible';
    if (/Polygon|Geometry/.test(g)) {
      map.addLayer({ id: `${src}:fill`, type: 'fill', source: src, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'Polygon'],
        layout: { visibility: vis }, paint: { 'fill-color': color, 'fill-opacity': 0.45 } }, before);
      map.addLayer({ id: `${src}:outline`, type: 'line', source: src, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'Polygon'],
        layout: { visibility: vis }, paint: { 'line-color': color, 'line-width': 2.5 } }, before);
    }
    if (/LineString|Geometry/.test(g)) {
      map.addLayer({ id: `${src}:line`, type: 'line', source: src, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'LineString'],
        layout: { visibility: vis }, paint: { 'line-color': color, 'line-width': 2 } }, before);
    }
    if (/Point|Geometry/.test(g)) {
      map.addLayer({ id: `${src}:point`, type: 'circle', source: src, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'Point'],
        layout: { visibility: vis }, paint: { 'circle-color': color, 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } }, before);
    }
    if (state.visible[l.id] === undefined) state.visible[l.id] = true;
  });
}

let catalogInFlight = false;
async function refreshCatalog() {
  if (catalogInFlight || !window.gisd.map) return;
  catalogInFlight = true;
  try {
    const doc = await api('/api/v1/layers');
    const before = state.catalog.map((l) => l.id).join(',');
    state.catalog = doc.layers;
    if (state.catalog.map((l) => l.id).join(',') !== before) {
      addImportedLayers();
      renderLayerPanel();
    }
  } catch {
    /* the next refresh tries again; tiles and clicks report a dead server */
  } finally {
    catalogInFlight = false;
  }
}

/** mapLayersOf lists the map's style layers that show a catalog layer. */
function mapLayersOf(id) {
  const map = window.gisd.map;
  if (id === 'admin_units') return ['admin-commune', 'admin-district', 'admin-province'];
  if (id === 'parcels') return ['parcels-fill', 'parcels-line', 'parcels-selected'];
  if (id === 'constructions') return ['constructions-fill', 'constructions-line'];
  return map.getStyle().layers.map((l) => l.id).filter((x) => x.startsWith(`layer:${id}:`));
}

function setVisible(id, on) {
  const map = window.gisd.map;
  state.visible[id] = on;
  for (const l of mapLayersOf(id)) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', on ? 'visible' : 'none');
  if (id === 'admin_units') updateLabelVisibility();
}

function renderLayerPanel() {
  const list = $('layer-list');
  list.replaceChildren();
  const entries = [
    { id: 'admin_units', title: t('layer.admin'), note: '' },
    { id: 'parcels', title: t('layer.parcels'), note: t('layer.fromZoom', { z: layerDoc('parcels')?.min_zoom ?? PARCELS_MIN_ZOOM_DEFAULT }) },
    { id: 'constructions', title: t('layer.constructions'), note: t('layer.fromZoom', { z: layerDoc('constructions')?.min_zoom ?? 15 }) },
    ...importedLayers().map((l) => ({ id: l.id, title: l.title || l.id, note: l.access === 'restricted' ? t('layer.restricted') : '' })),
  ];
  for (const e of entries) {
    const cb = el('input', { type: 'checkbox', id: `toggle-${e.id}`, dataset: { layer: e.id } });
    cb.checked = state.visible[e.id] !== false;
    cb.addEventListener('change', () => setVisible(e.id, cb.checked));
    list.append(el('li', {}, el('label', { for: `toggle-${e.id}` }, cb, ' ', e.title, e.note ? el('small', { text: ` ${e.note}` }) : null)));
  }
}

// ---- legend ----

let legendKey = '';
function renderLegend() {
  const map = window.gisd.map;
  if (!map || !map.getLayer('parcels-fill')) return;
  const seen = new Map();
  if (state.visible.parcels !== false && map.getZoom() >= (map.getSource('parcels').minzoom ?? 13)) {
    for (const f of map.queryRenderedFeatures({ layers: ['parcels-fill'] })) {
      const c = f.properties.main_use;
      if (c) seen.set(c, (seen.get(c) || 0) + 1);
    }
  }
  const key = getLang() + [...seen.keys()].sort().join(',');
  if (key === legendKey) return;
  legendKey = key;
  const box = $('legend');
  box.replaceChildren();
  for (const g of state.groups) {
    const name = getLang() === 'en' ? g.name_en : g.name;
    const codes = state.codes.filter((c) => c.group === g.code && seen.has(c.code));
    box.append(
      el('div', { class: 'legend-group' }, el('span', { class: 'swatch', style: `background:${GROUP_COLORS[g.code]}` }), el('strong', { text: name })),
    );
    if (codes.length) {
      box.append(
        el('ul', { class: 'legend-codes' },
          codes.map((c) =>
            el('li', { dataset: { code: c.code } },
              el('span', { class: 'swatch', style: `background:${colorOf(c.code, c.group)}` }),
              el('code', { text: c.code }), ' ', c.name),
          ),
        ),
      );
    }
  }
  if (!seen.size) box.append(el('p', { class: 'hint', text: t('legend.zoomIn') }));
}

// ---- labels of administrative units (HTML, so no glyph server is needed) ----

async function loadLabels() {
  const map = window.gisd.map;
  let fc;
  try {
    fc = await api(`/api/v1/admin-units/labels?date=${state.date}`);
  } catch (e) {
    setMessage(`${t('labels.failed')}: ${e.message}`, 'error');
    return;
  }
  for (const l of state.labels) l.marker.remove();
  state.hasDistricts = fc.features.some((f) => f.properties.level === 'district');
  // The server lists provinces, then districts, then communes: the order labels are placed in.
  state.labels = fc.features.map((f) => {
    const p = f.properties;
    const e = el('div', { class: `admin-label admin-label--${p.level}`, 'aria-hidden': 'true', dataset: { code: p.code }, text: p.name });
    const marker = new Marker({ element: e }).setLngLat(f.geometry.coordinates).addTo(map);
    e.removeAttribute('tabindex');
    return { level: p.level, marker, lngLat: f.geometry.coordinates, w: 0, h: 0 };
  });
  updateLabelVisibility();
  document.body.dataset.labels = String(state.labels.length);
}

/** labelZooms says from which zoom each level's names show: without districts (after the 2025
 * reform) communes take over from the province sooner. */
function labelShown(level, z) {
  const communeFrom = state.hasDistricts ? 11 : 8;
  if (level === 'province') return z < (state.hasDistricts ? 7.5 : 8);
  if (level === 'district') return z >= 7.5 && z < 11;
  return z >= communeFrom && z < 16;
}

/** updateLabelVisibility shows the names the zoom calls for, leaving out any that would overlap
 * one placed before it (higher levels first). */
function updateLabelVisibility() {
  const map = window.gisd.map;
  if (!map) return;
  const z = map.getZoom();
  const placed = [];
  for (const l of state.labels) {
    const e = l.marker.getElement();
    let show = state.visible.admin_units !== false && labelShown(l.level, z);
    if (show) {
      if (!l.w) {
        e.hidden = false;
        l.w = e.offsetWidth;
        l.h = e.offsetHeight;
      }
      const p = map.project(l.lngLat);
      const box = [p.x - l.w / 2 - 6, p.y - l.h / 2 - 3, p.x + l.w / 2 + 6, p.y + l.h / 2 + 3];
      if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) show = false;
      else placed.push(box);
    }
    e.hidden = !show;
  }
}

// ---- cursor position ----

function updateCursor(lngLat) {
  const wgs = $('cursor-wgs');
  const vn = $('cursor-vn');
  if (!lngLat) {
    wgs.textContent = '—';
    vn.textContent = '—';
    return;
  }
  const { lng, lat } = lngLat;
  const ns = lat >= 0 ? t('dir.N') : t('dir.S');
  const ew = lng >= 0 ? t('dir.E') : t('dir.W');
  wgs.textContent = `${fmtNumber(Math.abs(lat), 6)}° ${ns}, ${fmtNumber(Math.abs(lng), 6)}° ${ew}`;
  try {
    const [e, n] = proj4('EPSG:4326', 'ZONE', [lng, lat]);
    vn.textContent = `X = ${fmtNumber(n, 2)} m, Y = ${fmtNumber(e, 2)} m`;
  } catch {
    vn.textContent = '—';
  }
}

// ---- clicking the map ----

async function onMapClick(e) {
  const map = window.gisd.map;
  showImportedFeature(e);
  if (!state.visible.parcels) return;
  const minz = map.getSource('parcels').minzoom ?? PARCELS_MIN_ZOOM_DEFAULT;
  if (map.getZoom() < minz) {
    setMessage(t('parcel.zoomIn', { z: minz }));
    return;
  }
  await openParcelAt(e.lngLat);
}

let popup = null;

/** showImportedFeature opens a popup with the attributes of an imported layer's feature under the
 * click, if there is one. */
function showImportedFeature(e) {
  const map = window.gisd.map;
  const layers = map.getStyle().layers.map((l) => l.id).filter((id) => id.startsWith('layer:') && map.getLayoutProperty(id, 'visibility') !== 'none');
  if (popup) popup.remove();
  popup = null;
  if (!layers.length) return;
  const f = map.queryRenderedFeatures(e.point, { layers })[0];
  if (!f) return;
  const doc = layerDoc(f.sourceLayer);
  const titles = Object.fromEntries((doc?.attributes || []).map((a) => [a.name, a.title || a.name]));
  const rows = Object.entries(f.properties).map(([k, v]) => el('tr', {}, el('th', { text: titles[k] || k }), el('td', { text: String(v) })));
  const body = el('div', { class: 'feature-popup' }, el('strong', { text: doc?.title || f.sourceLayer }), el('table', {}, rows));
  popup = new Popup({ maxWidth: '22em' }).setLngLat(e.lngLat).setDOMContent(body).addTo(map);
}

let panelRequest = 0;

/** openParcelAt asks the server which parcel contains the point and shows it. */
async function openParcelAt(lngLat) {
  const req = ++panelRequest;
  openPanel();
  panelLoading();
  let doc;
  try {
    doc = await api(`/api/v1/parcels/at?lon=${lngLat.lng.toFixed(8)}&lat=${lngLat.lat.toFixed(8)}&date=${state.date}`);
  } catch (e) {
    if (req === panelRequest) panelError(e);
    return;
  }
  if (req !== panelRequest) return;
  const list = parcelsOf(doc);
  if (!list.length) {
    state.selected = null;
    highlight(null);
    panelEmpty(t('parcel.none'));
    setMessage(t('parcel.none'));
    return;
  }
  const all = list.map(normalizeParcel);
  await showParcel(all[0].key, { hint: all[0], at: [lngLat.lng, lngLat.lat], alternatives: all.length > 1 ? all : null, req });
}

/** parcelsOf accepts the shapes a list of parcels may come in. */
function parcelsOf(doc) {
  if (!doc) return [];
  if (Array.isArray(doc)) return doc;
  if (Array.isArray(doc.parcels)) return doc.parcels;
  if (Array.isArray(doc.features)) return doc.features;
  if (doc.type === 'Feature' || doc.commune_code) return [doc];
  return [];
}

function unitOf(v) {
  if (!v) return null;
  if (typeof v === 'string') return { name: v };
  return { code: v.code, name: v.name, kind: v.kind };
}

/** normalizeParcel reads a parcel (GET /api/v1/parcels/...) into the shape the panel shows. */
function normalizeParcel(x) {
  const p = { ...(x.properties || {}), ...x };
  const key = { commune: String(p.commune_code), sheet: Number(p.sheet_no), parcel: Number(p.parcel_no) };
  let uses = p.land_use ?? [];
  if (typeof uses === 'string') uses = uses.split('+').map((code) => ({ code }));
  return {
    id: p.id,
    key,
    uses: uses.map((u) => ({ code: u.code, area: u.area })),
    officialArea: p.official_area_m2,
    legalArea: p.legal_area_m2,
    address: p.address,
    oldSheet: p.old_sheet_no,
    oldParcel: p.old_parcel_no,
    commune: unitOf(p.commune),
    district: unitOf(p.district),
    province: unitOf(p.province),
    version: p.version,
    updatedAt: p.updated_at,
    geometry: p.geometry && p.geometry.type ? p.geometry : null,
    unitsKnown: 'province' in p || 'district' in p,
  };
}

function keyPath(k) {
  return `${encodeURIComponent(k.commune)}/${k.sheet}/${k.parcel}`;
}

/** aPointOn returns a point of the parcel's outline for looking up its administrative units. */
function aPointOn(geometry) {
  if (!geometry) return null;
  const ring = geometry.type === 'MultiPolygon' ? geometry.coordinates[0]?.[0] : geometry.coordinates?.[0];
  if (!ring?.length) return null;
  // The centre of the first ring's bounding box falls inside any parcel that is not strongly
  // concave; a wrong district here is shown as such only for such odd shapes.
  let [minx, miny, maxx, maxy] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    minx = Math.min(minx, x);
    miny = Math.min(miny, y);
    maxx = Math.max(maxx, x);
    maxy = Math.max(maxy, y);
  }
  return [(minx + maxx) / 2, (miny + maxy) / 2];
}

/**
 * showParcel fills the panel for parcel key: first what is at hand (hint, or GET
 * /api/v1/parcels/{key}), then, as they arrive, its administrative units on the chosen date, the
 * constructions standing on it, its history and — when the API key allows — its land user.
 */
async function showParcel(key, { hint = null, at = null, alternatives = null, req = ++panelRequest } = {}) {
  state.selected = key;
  highlight(key);
  openPanel();
  let p = hint;
  if (!p) {
    panelLoading();
    try {
      p = normalizeParcel(await api(`/api/v1/parcels/${keyPath(key)}`));
    } catch (e) {
      if (req === panelRequest) {
        panelError(e.status === 404 ? Object.assign(e, { message: t('parcel.notFound', { key: `${key.commune}/${key.sheet}/${key.parcel}` }) }) : e);
      }
      return;
    }
    if (req !== panelRequest) return;
  }
  if (!p.geometry && p.id != null) {
    // /parcels/at answers without the geometry the constructions query needs.
    try {
      p = { ...p, geometry: normalizeParcel(await api(`/api/v1/parcels/${keyPath(key)}`)).geometry };
    } catch {
      /* constructions stay unknown */
    }
    if (req !== panelRequest) return;
  }
  state.selectedAt = at || aPointOn(p.geometry);
  renderParcel(p, alternatives);
  const point = at || aPointOn(p.geometry);
  const [units, constructions, history, personal] = await Promise.allSettled([
    !p.unitsKnown && point ? api(`/api/v1/admin-units/at?lon=${point[0].toFixed(8)}&lat=${point[1].toFixed(8)}&date=${state.date}`) : null,
    p.geometry ? api('/api/v1/query/intersects', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ geometry: p.geometry, layers: ['constructions'], limit: 100 }),
    }) : null,
    p.id != null ? api(`/ogc/collections/parcels/items/${p.id}/history`) : null,
    p.id != null && getApiKey() ? api(`/ogc/collections/parcels/items/${p.id}`) : null,
  ]);
  if (req !== panelRequest) return;
  p = { ...p };
  if (units.status === 'fulfilled' && units.value) {
    p.commune = unitOf(units.value.commune) || p.commune;
    p.district = unitOf(units.value.district);
    p.province = unitOf(units.value.province);
    p.unitsKnown = true;
  }
  if (constructions.status === 'fulfilled' && constructions.value) {
    const layer = (constructions.value.layers || []).find((l) => l.layer === 'constructions');
    // Shared edges with a neighbour's building intersect in a line of no area: not "on" it.
    p.constructions = (layer?.features || []).filter((f) => (f.intersection_area_m2 ?? 1) > 0.5);
  } else if (constructions.status === 'rejected') {
    p.constructionsError = constructions.reason;
  }
  if (history.status === 'fulfilled' && history.value) p.history = history.value.versions || [];
  else if (history.status === 'rejected') p.historyError = history.reason;
  if (personal.status === 'fulfilled' && personal.value) {
    const pr = personal.value.properties || {};
    // Only a key with the personal scope gets these members at all.
    if ('owner_name' in pr || 'owner_id_number' in pr || 'certificate_no' in pr) {
      p.owner = { name: pr.owner_name, id: pr.owner_id_number, certificate: pr.certificate_no };
    }
  }
  renderParcel(p, alternatives);
}

function highlight(key) {
  const map = window.gisd.map;
  if (!map?.getLayer('parcels-selected')) return;
  if (!key) {
    map.setFilter('parcels-selected', ['==', ['get', 'parcel_no'], -1]);
    return;
  }
  map.setFilter('parcels-selected', ['all',
    ['==', ['to-string', ['get', 'commune_code']], key.commune],
    ['==', ['to-number', ['get', 'sheet_no']], key.sheet],
    ['==', ['to-number', ['get', 'parcel_no']], key.parcel]]);
}

// ---- the side panel ----

function wirePanel() {
  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('info').hidden && !e.defaultPrevented) closePanel();
  });
}

function openPanel() {
  $('info').hidden = false;
  document.body.classList.add('panel-open');
}

function closePanel() {
  $('info').hidden = true;
  document.body.classList.remove('panel-open');
  state.selected = null;
  highlight(null);
  panelRequest++;
}

function panelBody(...children) {
  const body = $('info-body');
  body.replaceChildren(...children);
  body.dataset.state = 'ready';
}

function panelLoading() {
  panelBody(el('p', { class: 'loading', text: t('loading') }));
  $('info-body').dataset.state = 'loading';
}

function panelEmpty(text) {
  panelBody(el('p', { class: 'empty', dataset: { field: 'empty' }, text }));
  $('info-body').dataset.state = 'empty';
}

function panelError(e) {
  panelBody(el('p', { class: 'error', role: 'alert', dataset: { field: 'error' }, text: e.message }), e.detail ? el('p', { class: 'detail', text: e.detail }) : null);
  $('info-body').dataset.state = 'error';
  setMessage(e.message, 'error');
}

function row(label, value, field) {
  return el('div', { class: 'row' }, el('dt', { text: label }), el('dd', { dataset: { field } }, value ?? '—'));
}

function unitText(u) {
  if (!u) return '—';
  return u.code ? `${u.name} (${u.code})` : u.name;
}

function renderParcel(p, alternatives) {
  const k = p.key;
  const keyText = `${k.commune}/${k.sheet}/${k.parcel}`;
  const parts = [];
  parts.push(
    el('h2', { dataset: { field: 'title' }, text: t('parcel.title', { parcel: k.parcel, sheet: k.sheet }) }),
    el('p', { class: 'key' }, t('parcel.key'), ': ', el('strong', { dataset: { field: 'key' }, text: keyText })),
  );
  const dl = el('dl', {},
    row(t('parcel.commune'), unitText(p.commune || { code: k.commune, name: '' }), 'commune'),
    row(t('parcel.district'), p.district ? unitText(p.district) : t('parcel.noDistrict'), 'district'),
    row(t('parcel.province'), unitText(p.province), 'province'),
    row(t('parcel.address'), p.address || '—', 'address'),
    row(t('parcel.officialArea'), p.officialArea != null ? `${fmtNumber(p.officialArea)} m²` : '—', 'official-area'),
  );
  if (p.legalArea != null) dl.append(row(t('parcel.legalArea'), `${fmtNumber(p.legalArea)} m²`, 'legal-area'));
  if (p.oldSheet || p.oldParcel) dl.append(row(t('parcel.old'), `${p.oldSheet ?? '—'}/${p.oldParcel ?? '—'}`, 'old'));
  parts.push(dl);

  // Land-use purposes with their Vietnamese names and areas.
  parts.push(el('h3', { text: t('parcel.uses') }));
  parts.push(
    el('table', { class: 'uses', dataset: { field: 'uses' } },
      el('thead', {}, el('tr', {}, el('th', { text: t('parcel.code') }), el('th', { text: t('parcel.useName') }), el('th', { class: 'num', text: t('parcel.area') }))),
      el('tbody', {},
        p.uses.map((u) => {
          const c = state.codeByCode[u.code];
          return el('tr', { dataset: { code: u.code } },
            el('td', {}, el('span', { class: 'swatch', style: `background:${colorOf(u.code, c?.group)}` }), el('code', { text: u.code })),
            el('td', { text: u.name || c?.name || '' }),
            el('td', { class: 'num', text: u.area != null ? `${fmtNumber(u.area)} m²` : '—' }));
        }),
      ),
    ),
  );

  // Personal data: only what the server sent, which it does only for keys allowed to read it.
  const o = p.owner || {};
  if (o.name || o.id || o.certificate) {
    parts.push(el('h3', { text: t('parcel.owner') }),
      el('dl', { class: 'personal' },
        o.name ? row(t('parcel.ownerName'), o.name, 'owner-name') : null,
        o.id ? row(t('parcel.ownerId'), o.id, 'owner-id') : null,
        o.certificate ? row(t('parcel.certificate'), o.certificate, 'certificate') : null));
  } else if (p.owner) {
    // The key may read personal data, and there is none: land of an organisation, or unrecorded.
    parts.push(el('p', { class: 'hint', dataset: { field: 'no-owner' }, text: t('parcel.noOwner') }));
  } else {
    parts.push(el('p', { class: 'hint', dataset: { field: 'personal-hidden' }, text: t('parcel.personalHidden') }));
  }

  // Constructions standing on it.
  parts.push(el('h3', { text: t('parcel.constructions') }));
  if (Array.isArray(p.constructions)) {
    if (!p.constructions.length) parts.push(el('p', { class: 'hint', dataset: { field: 'constructions' }, text: t('parcel.noConstructions') }));
    else parts.push(el('ul', { class: 'constructions', dataset: { field: 'constructions' } }, p.constructions.map(constructionItem)));
  } else if (p.constructionsError) {
    parts.push(el('p', { class: 'error', dataset: { field: 'constructions' }, text: p.constructionsError.message }));
  } else {
    parts.push(el('p', { class: 'loading', dataset: { field: 'constructions' }, text: t('loading') }));
  }

  // History: every version, the one valid on the chosen date marked.
  parts.push(el('h3', { text: t('parcel.history') }));
  if (Array.isArray(p.history) && p.history.length) {
    parts.push(el('ol', { class: 'history', dataset: { field: 'history' } }, p.history.map(historyItem)));
  } else if (p.historyError) {
    const v = p.version ? t('parcel.version', { v: p.version, date: fmtDate(p.updatedAt) }) : '';
    parts.push(el('p', { class: 'hint', dataset: { field: 'history' }, text: `${v} — ${t('parcel.historyUnavailable')} (${p.historyError.message})` }));
  } else {
    parts.push(el('p', { class: 'loading', dataset: { field: 'history' }, text: t('loading') }));
  }

  if (alternatives && alternatives.length > 1) {
    parts.push(el('h3', { text: t('parcel.overlap') }),
      el('ul', {}, alternatives.map((a) => el('li', {}, el('button', { type: 'button', class: 'link', onclick: () => showParcel(a.key, { hint: a, at: state.selectedAt }),
        text: `${a.key.commune}/${a.key.sheet}/${a.key.parcel}` })))));
  }
  panelBody(...parts);
  $('info-body').dataset.key = keyText;
}

function constructionItem(c) {
  const p = c.properties ? { ...c.properties, id: c.id } : c;
  const status = p.status ? t(`status.${p.status}`) : '';
  const bits = [p.kind, p.storeys != null ? t('construction.storeys', { n: p.storeys }) : null, status].filter(Boolean);
  return el('li', { dataset: { id: p.id } },
    el('strong', { text: p.permit_no ? t('construction.permit', { no: p.permit_no }) : t('construction.noPermit') }),
    p.permit_date ? ` (${fmtDate(p.permit_date)})` : '', el('br'), bits.join(' · '));
}

function historyItem(v) {
  const props = v.feature?.properties || {};
  let uses = props.land_use ?? [];
  if (typeof uses === 'string') uses = uses.split('+').map((code) => ({ code }));
  const useText = uses.map((u) => (u.area != null ? `${u.code} ${fmtNumber(u.area)} m²` : u.code)).join(', ');
  const from = v.valid_from ? v.valid_from.slice(0, 10) : null;
  const to = v.valid_to ? v.valid_to.slice(0, 10) : null;
  const asOf = (!from || from <= state.date) && (!to || state.date < to);
  return el('li', { class: asOf ? 'as-of' : null, dataset: { version: v.version } },
    el('strong', { text: t('parcel.version', { v: v.version, date: fmtDate(v.valid_from) }) }),
    to ? ` → ${fmtDate(v.valid_to)}` : ` (${t('parcel.current')})`,
    v.deleted ? ` — ${t('parcel.deleted')}` : '',
    asOf ? el('span', { class: 'badge', text: t('parcel.asOf', { date: fmtDate(state.date) }) }) : null,
    useText ? el('div', { text: useText }) : null,
    props.owner_name ? el('div', { text: `${t('parcel.ownerName')}: ${props.owner_name}` }) : null,
    v.changed_by ? el('div', { class: 'hint', text: t('parcel.changedBy', { who: v.changed_by }) }) : null);
}

// ---- search ----

function wireSearch() {
  const form = $('search');
  const input = $('q');
  const list = $('results');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await runSearch(input.value);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && !list.hidden) {
      e.preventDefault();
      list.querySelector('[role=option]')?.focus();
    } else if (e.key === 'Escape') {
      list.hidden = true;
    }
  });
  list.addEventListener('keydown', (e) => {
    const items = [...list.querySelectorAll('[role=option]')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') items[Math.min(i + 1, items.length - 1)]?.focus();
    else if (e.key === 'ArrowUp') (i <= 0 ? input : items[i - 1]).focus();
    else if (e.key === 'Escape') {
      list.hidden = true;
      input.focus();
    } else return;
    e.preventDefault();
  });
}

async function runSearch(q) {
  const list = $('results');
  q = q.trim();
  if (!q) return;
  setBusy(true);
  setMessage(t('search.searching'), 'info', true);
  let doc;
  try {
    const srid = $('q-zone').value;
    doc = await api(`/api/v1/search?q=${encodeURIComponent(q)}&date=${state.date}&srid=${srid}`);
  } catch (e) {
    setBusy(false);
    list.hidden = true;
    setMessage(e.status === 400 && e.detail ? `${t('search.badQuery')}: ${e.detail}` : e.message, 'error');
    window.gisd.searches = (window.gisd.searches || 0) + 1;
    return;
  }
  setBusy(false);
  const results = doc.results || [];
  if (!results.length) {
    list.hidden = true;
    setMessage(t('search.none', { q }), 'warn');
    window.gisd.searches = (window.gisd.searches || 0) + 1;
    return;
  }
  setMessage('');
  list.replaceChildren(
    ...results.map((r, i) => {
      const li = el('li', { role: 'option', tabindex: '-1', 'aria-selected': i === 0 ? 'true' : 'false' }, resultLabel(r));
      const go = () => {
        for (const o of list.querySelectorAll('[role=option]')) o.setAttribute('aria-selected', o === li ? 'true' : 'false');
        goTo(r);
      };
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          go();
        }
      });
      return li;
    }),
  );
  list.hidden = results.length < 2;
  await goTo(results[0]);
  window.gisd.searches = (window.gisd.searches || 0) + 1;
}

function levelName(r) {
  return t(`level.${r.level}`);
}

function resultLabel(r) {
  switch (r.type) {
    case 'admin_unit': {
      const validity = r.valid_to ? t('search.until', { date: fmtDate(r.valid_to) }) : r.valid_from ? t('search.since', { date: fmtDate(r.valid_from) }) : '';
      return el('span', {}, el('strong', { text: r.name }), ` — ${levelName(r)} ${r.code}`,
        r.parent_name ? `, ${r.parent_name}` : '', validity ? el('small', { text: ` (${validity})` }) : null);
    }
    case 'parcel':
      return el('span', {}, el('strong', { text: t('parcel.title', { parcel: r.parcel_no, sheet: r.sheet_no }) }), ` — ${r.commune_name || r.commune_code}`);
    case 'sheet':
      return el('span', {}, el('strong', { text: t('search.sheet', { sheet: r.sheet_no }) }), ` — ${r.commune_name || r.commune_code} (${t('search.parcels', { n: r.parcels })})`);
    case 'point':
      return el('span', {}, el('strong', { text: t('search.point') }), ` ${fmtNumber(r.center[1], 6)}, ${fmtNumber(r.center[0], 6)}`);
  }
  return el('span', { text: JSON.stringify(r) });
}

async function goTo(r) {
  const map = window.gisd.map;
  // Resolves when the camera has stopped; a move to where the map already is may fire no event.
  const settled = () => (map.isMoving() ? new Promise((resolve) => map.once('moveend', resolve)) : Promise.resolve());
  if (state.pointMarker) {
    state.pointMarker.remove();
    state.pointMarker = null;
  }
  if (r.type === 'point') {
    state.pointMarker = new Marker({ color: '#d7191c' }).setLngLat(r.center).addTo(map);
    let note = '';
    if (r.srid && r.srid !== 4326) {
      const zone = state.config.zones.find((z) => z.srid === r.srid);
      note = t('search.vnPoint', { zone: zone?.name || `EPSG:${r.srid}`, x: fmtNumber(r.northing, 2), y: fmtNumber(r.easting, 2) });
    } else if (r.swapped) {
      note = t('search.latLonSwapped');
    }
    if (note) setMessage(note, 'info', true);
    map.flyTo({ center: r.center, zoom: Math.max(map.getZoom(), 18), speed: 2.5 });
    await settled();
    await openParcelAt({ lng: r.center[0], lat: r.center[1] });
    return;
  }
  const [a, b, c, d] = r.bbox || [r.center[0], r.center[1], r.center[0], r.center[1]];
  map.fitBounds(new LngLatBounds([a, b], [c, d]), { padding: 40, maxZoom: r.type === 'parcel' ? 18 : 16, speed: 2.5 });
  await settled();
  if (r.type === 'parcel') {
    await showParcel({ commune: r.commune_code, sheet: r.sheet_no, parcel: r.parcel_no }, { at: r.center });
  } else if (r.type === 'admin_unit') {
    setMessage(`${r.name} — ${levelName(r)} ${r.code}`, 'info');
  }
}

// ---- date ----

function wireDate() {
  const input = $('date');
  const apply = debounce(() => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.value)) return;
    state.date = input.value;
    const map = window.gisd.map;
    map.getSource('admin_units').setTiles([tileURL('admin_units', `?date=${state.date}`)]);
    loadLabels();
    if (state.selected) showParcel(state.selected, { at: state.selectedAt });
    setMessage(t('date.showing', { date: fmtDate(state.date) }));
  }, 300);
  input.addEventListener('change', apply);
  $('date-today').addEventListener('click', () => {
    input.value = todayISO();
    apply();
  });
}

// ---- arriving from the import page: /?layer=id shows that layer's extent ----

function focusFromURL() {
  const params = new URLSearchParams(location.search);
  const id = params.get('layer');
  if (!id) return;
  const l = layerDoc(id);
  if (l?.extent) window.gisd.map.fitBounds(l.extent, { padding: 40, maxZoom: 16 });
  if (l) setMessage(t('import.onMap', { title: l.title || id }));
}

start();
