// run.mjs drives the web map and the import page in Debian's Chromium through playwright-core, as
// a land officer and a GIS specialist would use them:
//
//   node e2e/run.mjs BASE_URL ARTIFACT_DIR
//
// with E2E_FIXTURES naming a JSON file of targets chosen from the database by e2e_test.go:
//   { click: {key, lon, lat}, key: {key}, vn2000: {key, x, y, srid}, district: {code, name} }
//
// Each step leaves a screenshot in ARTIFACT_DIR; what the pages showed goes to
// ARTIFACT_DIR/results.json for the Go test to check against the database. Every wait is on a
// condition (rendered features, a panel state), never a fixed sleep. Any request to a host other
// than BASE_URL is blocked and fails the run: the pages must work without internet access.
// Exit status: 0 when every step passed, 1 otherwise.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, artifacts] = process.argv.slice(2);
if (!base || !artifacts) {
  console.error('usage: node e2e/run.mjs BASE_URL ARTIFACT_DIR');
  process.exit(2);
}
const fixtures = JSON.parse(readFileSync(process.env.E2E_FIXTURES, 'utf8'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const stepTimeout = Number(process.env.E2E_STEP_TIMEOUT_MS || 90000);
mkdirSync(artifacts, { recursive: true });

const results = { steps: [], outside: [], pageErrors: [], console: [] };
const save = () => writeFileSync(join(artifacts, 'results.json'), JSON.stringify(results, null, 2));
let shot = 0;
let failed = false;

function log(...a) {
  console.log(new Date().toISOString().slice(11, 23), ...a);
}

class Check extends Error {}
function check(cond, msg) {
  if (!cond) throw new Check(msg);
}

const userData = join(tmpdir(), `gisd-e2e-${process.pid}`);
const browser = await chromium.launchPersistentContext(userData, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1366, height: 800 },
  locale: 'vi-VN',
  timezoneId: 'Asia/Ho_Chi_Minh',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader', '--disable-dev-shm-usage',
  ],
});
const origin = new URL(base).origin;
// No request may leave the server: block and record anything else.
await browser.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
  results.outside.push(url);
  return route.abort();
});
const page = browser.pages()[0] || (await browser.newPage());
page.setDefaultTimeout(stepTimeout);
page.on('pageerror', (e) => results.pageErrors.push(String(e?.stack || e)));
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') results.console.push(`${m.type()}: ${m.text()}`);
});

async function step(name, fn) {
  const s = { name, ok: false };
  results.steps.push(s);
  const t0 = Date.now();
  log(`step ${name}`);
  try {
    Object.assign(s, (await fn()) || {});
    s.ok = true;
  } catch (e) {
    s.error = String(e?.message || e);
    failed = true;
    log(`  FAILED: ${s.error}`);
  }
  s.ms = Date.now() - t0;
  const file = `${String(++shot).padStart(2, '0')}-${name}.png`;
  try {
    await page.screenshot({ path: join(artifacts, file), fullPage: name.startsWith('import') });
    s.screenshot = file;
  } catch (e) {
    log(`  no screenshot: ${e.message}`);
  }
  save();
  return s.ok;
}

/** waitIdle waits until the map has nothing left to load or draw. */
async function waitIdle() {
  await page.waitForFunction(() => {
    const m = window.gisd?.map;
    return m && m.loaded() && !m.isMoving() && m.areTilesLoaded();
  }, null, { polling: 200 });
}

async function renderedCount(layers) {
  return page.evaluate((ls) => window.gisd.map.queryRenderedFeatures({ layers: ls.filter((l) => window.gisd.map.getLayer(l)) }).length, layers);
}

/** waitRendered waits until the given style layers have rendered at least one feature. */
async function waitRendered(layers) {
  await page.waitForFunction((ls) => {
    const m = window.gisd?.map;
    if (!m || !m.loaded()) return false;
    const have = ls.filter((l) => m.getLayer(l));
    return have.length > 0 && m.queryRenderedFeatures({ layers: have }).length > 0;
  }, layers, { polling: 250 });
}

/** panel waits for the side panel to settle and reads what it shows. */
async function readPanel(expectKey) {
  await page.waitForFunction((k) => {
    const b = document.getElementById('info-body');
    if (!b || b.dataset.state === 'loading') return false;
    if (b.dataset.state === 'error' || b.dataset.state === 'empty') return true;
    if (k && b.dataset.key !== k) return false;
    // Wait for the parts that arrive later (constructions, history) to finish loading.
    return !b.querySelector('.loading');
  }, expectKey || null, { polling: 200 });
  return page.evaluate(() => {
    const b = document.getElementById('info-body');
    const f = (name) => b.querySelector(`[data-field="${name}"]`)?.textContent.trim() ?? null;
    return {
      state: b.dataset.state,
      key: f('key'),
      title: f('title'),
      commune: f('commune'),
      district: f('district'),
      province: f('province'),
      address: f('address'),
      officialArea: f('official-area'),
      uses: [...b.querySelectorAll('[data-field=uses] tbody tr')].map((tr) => ({
        code: tr.dataset.code,
        name: tr.children[1].textContent.trim(),
        area: tr.children[2].textContent.trim(),
      })),
      constructions: [...b.querySelectorAll('[data-field=constructions] li')].map((li) => li.dataset.id),
      constructionsText: f('constructions'),
      history: [...b.querySelectorAll('[data-field=history] li')].map((li) => li.dataset.version),
      error: f('error'),
      empty: f('empty'),
      ownerName: f('owner-name'),
      personalHidden: !!b.querySelector('[data-field=personal-hidden]'),
    };
  });
}

async function search(text, zone) {
  if (zone) await page.selectOption('#q-zone', String(zone));
  await page.fill('#q', text);
  const before = await page.evaluate(() => window.gisd.searches || 0);
  await page.press('#q', 'Enter');
  await page.waitForFunction((n) => (window.gisd.searches || 0) > n, before);
  await waitIdle();
}

try {
  await step('map-loads-province-view', async () => {
    await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.gisd?.ready === true);
    await waitRendered(['admin-province', 'admin-district', 'admin-commune']);
    await page.waitForFunction(() => Number(document.body.dataset.labels) > 0);
    await waitIdle();
    const view = await page.evaluate(() => {
      const m = window.gisd.map;
      const c = m.getCenter();
      return { zoom: m.getZoom(), center: [c.lng, c.lat], lang: document.documentElement.lang,
        title: document.querySelector('h1').textContent.trim(), labels: document.querySelectorAll('.admin-label:not([hidden])').length };
    });
    check(view.lang === 'vi', `page language ${view.lang}, want vi`);
    check(view.center[0] > 106.41 && view.center[0] < 107.43 && view.center[1] > 11.3 && view.center[1] < 12.3,
      `start view centred at ${view.center}, want inside Bình Phước`);
    check(view.labels > 0, 'no administrative unit labels are shown');
    return view;
  });

  await step('parcels-render', async () => {
    const { lon, lat } = fixtures.click;
    await page.evaluate(([x, y]) => window.gisd.map.jumpTo({ center: [x, y], zoom: 17 }), [lon, lat]);
    await waitRendered(['parcels-fill']);
    await waitIdle();
    const n = await renderedCount(['parcels-fill']);
    const legend = await page.$$eval('#legend [data-code]', (els) => els.map((e) => e.textContent.trim()));
    check(n > 0, 'no parcel rendered');
    check(legend.length > 0, 'the legend lists no land-use code');
    return { renderedParcels: n, legend };
  });

  await step('click-parcel', async () => {
    const { lon, lat, key } = fixtures.click;
    const px = await page.evaluate(([x, y]) => {
      const p = window.gisd.map.project([x, y]);
      const r = window.gisd.map.getCanvas().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    }, [lon, lat]);
    await page.mouse.click(px[0], px[1]);
    const panel = await readPanel(key);
    check(panel.state === 'ready', `panel state ${panel.state}: ${panel.error || panel.empty}`);
    check(panel.key === key, `panel shows ${panel.key}, want ${key}`);
    return { panel };
  });

  await step('api-key-personal', async () => {
    // Without a key the land user is hidden; a key with the personal scope shows it.
    const before = await readPanel(fixtures.click.key);
    check(before.personalHidden, 'the land user is shown without an API key');
    await page.click('.key-box summary');
    await page.fill('#api-key', process.env.E2E_API_KEY);
    await page.press('#api-key', 'Enter');
    await page.waitForFunction(() => !!document.querySelector('#info-body [data-field=owner-name]'));
    const panel = await readPanel(fixtures.click.key);
    const keyState = await page.textContent('#key-state');
    await page.click('.key-box summary');
    check(panel.ownerName, 'no land user shown with a personal-scope key');
    return { panel, keyState };
  });

  await step('empty-spot', async () => {
    // Far outside any parcel (but inside Vietnam): the panel says there is none.
    await page.evaluate(() => window.gisd.map.jumpTo({ center: [106.0, 11.0], zoom: 16 }));
    await waitIdle();
    const box = await page.evaluate(() => {
      const r = window.gisd.map.getCanvas().getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    });
    await page.mouse.click(box[0], box[1]);
    const panel = await readPanel(null);
    check(panel.state === 'empty', `panel state ${panel.state}, want empty`);
    check(panel.empty === 'Không có thửa đất tại đây', `panel says ${panel.empty}`);
    return { panel };
  });

  await step('server-not-responding', async () => {
    // The parcel query cannot reach the server: the panel says so instead of hanging.
    await page.route('**/api/v1/parcels/at?**', (route) => route.abort('connectionrefused'));
    await page.evaluate(([x, y]) => window.gisd.map.jumpTo({ center: [x, y], zoom: 17 }), [fixtures.click.lon, fixtures.click.lat]);
    await waitIdle();
    // From the keyboard: focus the map and press Enter to pick the parcel at its centre.
    await page.focus('#map canvas');
    await page.keyboard.press('Enter');
    const panel = await readPanel(null);
    await page.unroute('**/api/v1/parcels/at?**');
    check(panel.state === 'error' && panel.error === 'Máy chủ không phản hồi', `panel ${panel.state}: ${panel.error}`);
    return { panel };
  });

  await step('search-dong-xoai', async () => {
    await search('dong xoai');
    const r = await page.evaluate(() => {
      const c = window.gisd.map.getCenter();
      return { center: [c.lng, c.lat], zoom: window.gisd.map.getZoom(), message: document.getElementById('message').textContent,
        results: [...document.querySelectorAll('#results [role=option]')].map((o) => o.textContent.trim()) };
    });
    check(/Đồng Xoài/.test(r.message) || r.results.some((x) => /Đồng Xoài/.test(x)), `no Đồng Xoài in "${r.message}" / ${r.results}`);
    return r;
  });

  await step('search-cadastral-key', async () => {
    const [c, s, p] = fixtures.key.key.split('/');
    await search(`${c} ${s} ${p}`);
    const panel = await readPanel(fixtures.key.key);
    check(panel.key === fixtures.key.key, `panel shows ${panel.key}, want ${fixtures.key.key}`);
    const highlighted = await renderedCount(['parcels-selected']);
    check(highlighted > 0, 'the parcel found is not highlighted');
    return { panel, highlighted };
  });

  await step('search-vn2000', async () => {
    const v = fixtures.vn2000;
    // As printed on a land document: X is the northing, Y the easting.
    await search(`X = ${v.y.toFixed(3)}, Y = ${v.x.toFixed(3)}`, v.srid);
    const panel = await readPanel(v.key);
    check(panel.key === v.key, `panel shows ${panel.key}, want ${v.key}`);
    const marker = await page.$('.maplibregl-marker:not(.admin-label)');
    check(marker, 'no marker at the point');
    return { panel };
  });

  await step('cursor-readout', async () => {
    const box = await page.evaluate(() => {
      const r = window.gisd.map.getCanvas().getBoundingClientRect();
      return [r.left + r.width / 3, r.top + r.height / 3];
    });
    await page.mouse.move(box[0], box[1]);
    await page.waitForFunction(() => document.getElementById('cursor-vn').textContent.includes('X ='));
    return page.evaluate(() => ({ wgs: document.getElementById('cursor-wgs').textContent, vn: document.getElementById('cursor-vn').textContent }));
  });

  await step('date-before-reform', async () => {
    await page.evaluate(() => window.gisd.map.fitBounds([[106.41, 11.3], [107.43, 12.3]], { duration: 0 }));
    await page.fill('#date', '2025-06-30');
    await page.dispatchEvent('#date', 'change');
    await page.waitForFunction(() => window.gisd.state.date === '2025-06-30');
    await waitRendered(['admin-district']);
    await waitIdle();
    return { districtsRendered: await renderedCount(['admin-district']) };
  });

  await step('date-after-reform', async () => {
    await page.fill('#date', '2025-07-01');
    await page.dispatchEvent('#date', 'change');
    await page.waitForFunction(() => window.gisd.state.date === '2025-07-01');
    await page.waitForFunction(() => {
      const m = window.gisd.map;
      return m.isSourceLoaded('admin_units') && m.queryRenderedFeatures({ layers: ['admin-district'] }).length === 0 &&
        m.queryRenderedFeatures({ layers: ['admin-province', 'admin-commune'] }).length > 0;
    }, null, { polling: 250 });
    await waitIdle();
    return { districtsRendered: await renderedCount(['admin-district']) };
  });

  await step('english-switch', async () => {
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    const h1 = await page.textContent('h1');
    check(/Cadastral map/.test(h1), `English title is ${h1}`);
    return { h1 };
  });

  await step('tablet-layout', async () => {
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'vi');
    await page.setViewportSize({ width: 800, height: 1100 });
    await page.waitForFunction(() => {
      const m = window.gisd.map;
      return m.getCanvas().getBoundingClientRect().width > 700;
    });
    await waitIdle();
    const layout = await page.evaluate(() => ({
      mapWidth: window.gisd.map.getCanvas().getBoundingClientRect().width,
      scrollWidth: document.documentElement.scrollWidth,
    }));
    check(layout.scrollWidth <= 800, `page is ${layout.scrollWidth}px wide on an 800px tablet`);
    return layout;
  });

  // ---- the import page ----
  const layerID = fixtures.import.layer;
  const readReport = () => page.evaluate(() => ({
    state: document.body.dataset.importState,
    stateText: document.getElementById('job-state').textContent,
    counts: Object.fromEntries([...document.querySelectorAll('#counts [data-count]')].map((e) => [e.dataset.count, e.querySelector('.n').textContent])),
    rejected: [...document.querySelectorAll('#rejected tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
    error: [document.getElementById('form-error'), document.getElementById('job-error')].filter((e) => !e.hidden).map((e) => e.textContent).join(' ') || null,
  }));
  const fillImportForm = async (maxRejected) => {
    const file = join(artifacts, 'e2e-import.geojson');
    writeFileSync(file, JSON.stringify(fixtures.import.geojson));
    await page.setInputFiles('#file', file);
    await page.selectOption('#layer', '__new__');
    await page.fill('#new-title', fixtures.import.title);
    await page.fill('#new-id', layerID);
    await page.selectOption('#srid', '4326');
    await page.selectOption('#mode', 'append');
    await page.selectOption('#max-rejected', maxRejected);
  };

  await step('import-all-or-nothing', async () => {
    // By default one bad feature stops the import: nothing is written, the report says why.
    await page.setViewportSize({ width: 1366, height: 800 });
    await page.goto(base + '/import', { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await fillImportForm('0');
    await page.click('#submit');
    await page.waitForFunction(() => ['committed', 'failed', 'cancelled', 'validated'].includes(document.body.dataset.importState) &&
      !document.getElementById('submit').disabled);
    const report = await readReport();
    check(report.state === 'failed', `import ended ${report.state}, want failed`);
    check(report.error && report.error.includes('bị từ chối'), `the failed import says "${report.error}", want a Vietnamese reason`);
    check(report.rejected.length === 1, `report lists ${report.rejected.length} rejected features, want 1`);
    return { report };
  });

  await step('import-report', async () => {
    // Skipping invalid features: the rest is imported and the report lists the one rejected.
    await page.goto(base + '/import', { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await fillImportForm('-1');
    await page.click('#submit');
    await page.waitForFunction(() => ['committed', 'failed', 'cancelled', 'validated'].includes(document.body.dataset.importState));
    const report = await readReport();
    check(report.state === 'committed', `import ended ${report.state}: ${report.error || ''}`);
    check(report.rejected.length === 1, `report lists ${report.rejected.length} rejected features, want 1`);
    return { report };
  });

  await step('imported-layer-on-map', async () => {
    await page.click('#view-on-map');
    await page.waitForFunction(() => window.gisd?.ready === true);
    await page.waitForFunction((id) => !!document.getElementById(`toggle-${id}`), layerID);
    const styleLayers = [`layer:${layerID}:fill`, `layer:${layerID}:point`, `layer:${layerID}:line`];
    await waitRendered(styleLayers);
    await waitIdle();
    return { rendered: await renderedCount(styleLayers) };
  });
} catch (e) {
  failed = true;
  results.fatal = String(e?.stack || e);
  log(`fatal: ${results.fatal}`);
}

if (results.outside.length) {
  failed = true;
  log(`requests outside the server: ${results.outside.join(', ')}`);
}
if (results.pageErrors.length) {
  failed = true;
  log(`uncaught errors in the page: ${results.pageErrors.join('\n')}`);
}
save();
await browser.close();
rmSync(userData, { recursive: true, force: true });
log(failed ? 'e2e: FAILED' : 'e2e: all steps passed');
process.exit(failed ? 1 : 0);
