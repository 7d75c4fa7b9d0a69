// build.mjs bundles the two pages with esbuild into bundle/, which web.go embeds into gisd:
//
//   bundle/index.html, bundle/import.html          the pages, asset names filled in
//   bundle/assets/<name>-<hash>.{js,css}            the bundles (immutable, cached for good)
//   bundle/assets/maplibre-gl-worker-<hash>.mjs     MapLibre's worker, copied from npm
//
// Every name carries a content hash, so the server can let browsers cache assets forever and a new
// build is never mixed with an old one. Run through `make web` (scripts/web.sh), or `npm run build`.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'bundle');
const assets = join(out, 'assets');

// Start clean but keep the committed README that makes the go:embed pattern match.
for (const f of readdirSync(out, { withFileTypes: true })) {
  if (f.name !== 'README.md') rmSync(join(out, f.name), { recursive: true, force: true });
}
mkdirSync(assets, { recursive: true });

// MapLibre GL JS 6 runs its tile parsing in a module worker it loads by URL.
const workerSrc = join(here, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs');
const workerHash = createHash('sha256').update(readFileSync(workerSrc)).digest('hex').slice(0, 10);
const workerName = `maplibre-gl-worker-${workerHash}.mjs`;
copyFileSync(workerSrc, join(assets, workerName));

const result = await esbuild.build({
  entryPoints: { map: join(here, 'src/map.js'), import: join(here, 'src/import.js') },
  outdir: assets,
  bundle: true,
  format: 'esm',
  splitting: true,
  minify: true,
  sourcemap: false, // embedded in the binary: keep it small
  target: ['chrome100', 'firefox102', 'safari15', 'edge100'],
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  define: { __MAPLIBRE_WORKER__: JSON.stringify(`/assets/${workerName}`) },
  logLevel: 'warning',
});

// Fill each page's <!--assets:NAME--> with its script and stylesheet.
const entries = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = basename(meta.entryPoint, '.js');
  entries[name] = { js: `/assets/${basename(file)}`, css: meta.cssBundle ? `/assets/${basename(meta.cssBundle)}` : null };
}
for (const [page, entry] of [['index.html', 'map'], ['import.html', 'import']]) {
  const e = entries[entry];
  if (!e) throw new Error(`build: no output for entry ${entry}`);
  const tags = [
    e.css ? `<link rel="stylesheet" href="${e.css}">` : '',
    `<script type="module" src="${e.js}"></script>`,
  ].filter(Boolean).join('\n');
  const html = readFileSync(join(here, 'src', page), 'utf8');
  if (!html.includes(`<!--assets:${entry}-->`)) throw new Error(`build: src/${page} lacks <!--assets:${entry}-->`);
  writeFileSync(join(out, page), html.replace(`<!--assets:${entry}-->`, tags));
}
const size = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`web: built ${Object.keys(entries).join(', ')} into bundle/ (${(size / 1024).toFixed(0)} KiB, worker ${workerName})`);
