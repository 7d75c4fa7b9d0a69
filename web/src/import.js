// The import page for GIS staff: choose a GeoJSON file, the target layer (or a new one), the CRS
// (VN-2000 zones by name) and the mode; upload with a progress bar; follow the import job; read
// the report (accepted, repaired, rejected with reasons and feature indexes); open the map on it.

import './style.css';
import {
  ApiError,
  api,
  applyI18n,
  authHeaders,
  el,
  fmtNumber,
  onLangChange,
  statusMessage,
  t,
  wireApiKeyField,
  wireLangSwitch,
} from './common.js';

const $ = (id) => document.getElementById(id);
const FINAL = ['committed', 'failed', 'cancelled', 'reverted', 'validated'];
const NEW = '__new__';

const state = { layers: [], zones: [], job: null, lastReport: null };
window.gisdImport = state;

async function start() {
  applyI18n();
  wireLangSwitch();
  wireApiKeyField();
  onLangChange(() => {
    fillCRS();
    fillLayers();
    if (state.lastReport) renderJob(state.lastReport);
  });
  $('layer').addEventListener('change', showNewLayerFields);
  $('import-form').addEventListener('submit', onSubmit);
  $('new-title').addEventListener('input', suggestID);
  try {
    const [layers, config] = await Promise.all([api('/api/v1/layers'), api('/api/v1/map-config')]);
    state.layers = layers.layers;
    state.zones = config.zones;
  } catch (e) {
    formError(e);
    return;
  }
  fillLayers();
  fillCRS();
  showNewLayerFields();
  document.body.dataset.ready = 'true';
}

function fillLayers() {
  const sel = $('layer');
  const keep = sel.value;
  sel.replaceChildren(
    ...state.layers.map((l) => el('option', { value: l.id, text: `${l.title} (${l.id})` })),
    el('option', { value: NEW, text: t('import.newLayer') }),
  );
  if (keep) sel.value = keep;
  else sel.value = NEW;
}

function fillCRS() {
  const sel = $('srid');
  const keep = sel.value;
  sel.replaceChildren(
    el('option', { value: '', text: t('import.crsAuto') }),
    el('option', { value: '4326', text: 'WGS 84 (EPSG:4326)' }),
    el('optgroup', { label: 'VN-2000 TM-3' },
      state.zones.map((z) => el('option', { value: String(z.srid), text: `${z.name} (EPSG:${z.srid})${z.srid === 9212 ? ` — ${t('import.binhPhuoc')}` : ''}${z.srid === 5899 ? ` — ${t('import.dongNai')}` : ''}` }))),
  );
  sel.value = keep;
}

function showNewLayerFields() {
  const isNew = $('layer').value === NEW;
  $('new-layer').hidden = !isNew;
  $('new-id').required = isNew;
  $('new-title').required = isNew;
}

function suggestID() {
  const id = $('new-id');
  if (id.dataset.touched) return;
  const folded = $('new-title').value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase()
    .replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/^[^a-z]+/, '').slice(0, 63);
  id.value = folded;
}

function formError(e) {
  const box = $('form-error');
  box.hidden = false;
  box.replaceChildren(el('strong', { text: e.message }), e.detail ? el('div', { class: 'detail', text: e.detail }) : null);
  if (e.problem?.['invalid-params']) {
    box.append(el('ul', {}, e.problem['invalid-params'].map((p) => el('li', { text: `${p.name}: ${p.reason}` }))));
  }
}

async function onSubmit(e) {
  e.preventDefault();
  $('form-error').hidden = true;
  const file = $('file').files[0];
  if (!file) {
    formError(new ApiError(t('import.noFile')));
    return;
  }
  let layer = $('layer').value;
  const params = new URLSearchParams({ mode: $('mode').value, max_rejected: $('max-rejected').value });
  if ($('srid').value) params.set('srid', $('srid').value);
  if ($('dry-run').checked) params.set('dry_run', 'true');
  if (layer === NEW) {
    layer = $('new-id').value.trim();
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(layer)) {
      formError(new ApiError(t('import.badID')));
      return;
    }
    params.set('create', 'true');
    params.set('title', $('new-title').value.trim() || layer);
  }
  const submit = $('submit');
  submit.disabled = true;
  $('report').hidden = true;
  try {
    const accepted = await upload(`/api/v1/layers/${encodeURIComponent(layer)}/imports?${params}`, file);
    const id = accepted.id ?? accepted.import_id;
    state.job = { id, layer };
    await follow(id, layer);
  } catch (err) {
    formError(err);
    // An import that failed while its file was read still has a record with the report (the
    // rejected features and why): the problem names it.
    const m = /\/api\/v1\/imports\/(\d+)/.exec(err.detail || '');
    if (m) {
      try {
        await follow(m[1], layer);
      } catch {
        /* the error above says enough */
      }
    }
  } finally {
    submit.disabled = false;
  }
}

/** upload sends the file with XMLHttpRequest, which, unlike fetch, reports upload progress. */
function upload(url, file) {
  const bar = $('upload-progress');
  const label = $('upload-label');
  bar.hidden = false;
  bar.value = 0;
  label.textContent = t('import.uploading', { name: file.name });
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/geo+json');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) {
        bar.value = ev.loaded / ev.total;
        label.textContent = t('import.uploadProgress', { pct: Math.round((100 * ev.loaded) / ev.total), name: file.name });
      }
    };
    xhr.onerror = () => reject(new ApiError(t('err.noServer')));
    xhr.ontimeout = () => reject(new ApiError(t('err.noServer')));
    xhr.timeout = 10 * 60 * 1000;
    xhr.onload = () => {
      let doc = null;
      try {
        doc = JSON.parse(xhr.responseText);
      } catch {
        doc = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && doc) {
        bar.value = 1;
        label.textContent = t('import.uploaded', { name: file.name });
        resolve(doc);
      } else {
        reject(new ApiError(statusMessage(xhr.status), { status: xhr.status, detail: doc?.detail || '', problem: doc }));
      }
    };
    xhr.send(file);
  });
}

/** follow polls the import job until it ends, showing its progress, then its report. */
async function follow(id, layer) {
  const started = Date.now();
  let delay = 300;
  for (;;) {
    let job;
    try {
      job = await api(`/api/v1/imports/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status === 0 && Date.now() - started < 120000) {
        $('job-state').textContent = e.message;
        await sleep(2000);
        continue;
      }
      throw e;
    }
    job.layer = job.layer ?? job.layer_id ?? layer;
    state.lastReport = job;
    renderJob(job);
    if (FINAL.includes(job.state)) return job;
    await sleep(delay);
    delay = Math.min(delay * 1.5, 2000);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// The counts worth a box, in reading order; the rest of counts (bytes, ms, srid...) are notes.
const COUNT_ORDER = ['read', 'accepted', 'inserted', 'updated', 'unchanged', 'deleted', 'repaired', 'warnings', 'rejected'];

function renderJob(job) {
  const box = $('report');
  box.hidden = false;
  box.dataset.state = job.state;
  $('job-state').textContent = t(`import.state.${job.state}`);
  $('job-state').dataset.state = job.state;
  const prog = $('job-progress');
  const running = !FINAL.includes(job.state);
  prog.hidden = !running;
  prog.removeAttribute('value'); // the server does not know the total: an indeterminate bar
  const p = job.progress;
  $('job-phase').textContent = running && p ? t('import.phase', { phase: t(`import.phase.${p.phase}`), n: fmtNumber(p.read, 0) }) : '';

  const counts = job.counts || {};
  $('counts').replaceChildren(
    ...COUNT_ORDER.filter((k) => typeof counts[k] === 'number' && (counts[k] > 0 || ['read', 'accepted', 'rejected'].includes(k)))
      .map((k) => el('div', { class: `count count-${k}`, dataset: { count: k } },
        el('span', { class: 'n', text: fmtNumber(counts[k], 0) }), el('span', { class: 'label', text: t(`import.count.${k}`) }))),
  );
  const notes = [];
  if (counts.layer_created) notes.push(t('import.layerCreated', { layer: job.layer }));
  if (counts.srid) notes.push(t('import.sridUsed', { srid: counts.srid }));
  if (counts.ms != null && !running) notes.push(t('import.took', { s: fmtNumber(counts.ms / 1000, 1) }));
  if (counts.report_truncated) notes.push(t('import.truncated'));
  $('job-notes').textContent = notes.join(' · ');

  const entries = Array.isArray(job.report) ? job.report : [];
  const rows = entries.filter((r) => r.level === 'rejected');
  const table = $('rejected');
  table.hidden = !rows.length;
  table.querySelector('tbody').replaceChildren(...rows.map(entryRow));
  const others = entries.filter((r) => r.level !== 'rejected');
  const rep = $('repaired');
  rep.hidden = !others.length;
  rep.querySelector('tbody').replaceChildren(...others.map(entryRow));

  const err = $('job-error');
  err.hidden = !job.error;
  err.replaceChildren();
  if (job.error) {
    // Say it in Vietnamese where the cause is known; the server's own words follow.
    const tooMany = job.state === 'failed' && counts.rejected > 0 && counts.rejected < counts.read;
    err.append(el('strong', { text: tooMany ? t('import.tooManyRejected', { n: counts.rejected }) : t('import.failedBecause') }),
      el('div', { class: 'detail', text: job.error }));
  }

  const link = $('view-on-map');
  link.hidden = job.state !== 'committed';
  link.href = `/?layer=${encodeURIComponent(job.layer)}`;
  document.body.dataset.importState = job.state;
}

/** entryRow shows one finding of the report: feature index (-1 is the whole file), its key, what
 * was wrong in Vietnamese (by the finding's stable code) and the server's own words. */
function entryRow(r) {
  const known = t(`import.code.${r.code}`);
  const what = known === `import.code.${r.code}` ? r.code : known;
  return el('tr', { dataset: { index: r.index, code: r.code, level: r.level } },
    el('td', { class: 'num', text: r.index >= 0 ? String(r.index) : t('import.wholeFile') }),
    el('td', { text: r.key || r.id || '—' }),
    el('td', {}, el('strong', { text: what }), r.field ? ` (${r.field})` : '', el('div', { class: 'detail', text: r.reason || '' })));
}

$('new-id')?.addEventListener('input', (e) => (e.target.dataset.touched = '1'));
start();
