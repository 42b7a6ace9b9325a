// geodvc ui: a dependency-free page. Map: Web Mercator drawn as SVG (no tiles, no basemap).
// The page exposes what it drew for tests and scripts: data-count on the map layers,
// data-points on the plot, and window.geodvcUi (state and counts).
const $ = (s) => document.querySelector(s);
const SVGNS = 'http://www.w3.org/2000/svg';
const SPLIT_COLOURS = { train: '#2563eb', val: '#f59e0b', validation: '#f59e0b', test: '#db2777' };
// Versions avoid the diff's green/red/amber; assigned in revision order so they never collide.
const VERSION_PALETTE = ['#2563eb', '#7c3aed', '#0891b2', '#db2777', '#92400e', '#475569', '#4f46e5', '#be185d', '#0f766e', '#9333ea'];
const PALETTE = ['#2563eb', '#16a34a', '#db2777', '#f59e0b', '#7c3aed', '#0891b2', '#dc2626', '#65a30d', '#9333ea', '#ea580c'];
const R = 6378137;

const state = { revisions: [], rev: null, base: null, colour: 'split', footprints: null, diff: null, experiments: [], selected: null,
  view: { k: 1, x: 0, y: 0 }, counts: { footprints: 0, rasters: 0, vectors: 0, diff: 0, added: 0, removed: 0, changed: 0, points: 0, experiments: 0 } };
window.geodvcUi = state;

async function api(path) {
  const r = await fetch(path);
  const ct = r.headers.get('content-type') || '';
  const body = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) { const e = body && body.error; throw new Error(e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `HTTP ${r.status}`); }
  return body;
}
function el(tag, attrs = {}, text) {
  const e = document.createElementNS(tag === 'svgtext' ? SVGNS : (['path', 'g', 'circle', 'line', 'text', 'rect', 'title'].includes(tag) ? SVGNS : 'http://www.w3.org/1999/xhtml'), tag === 'svgtext' ? 'text' : tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function status(msg, err) { const s = $('#status'); s.textContent = msg; s.className = err ? 'error' : ''; }
const shortRev = (sha) => (sha || '').slice(0, 7);
function colourOf(str) { let h = 0; for (const c of String(str)) h = (h * 31 + c.charCodeAt(0)) >>> 0; return PALETTE[h % PALETTE.length]; }

// ---------- projection (Web Mercator metres -> SVG units: metres / 1000, y down) ----------
function project([lon, lat]) {
  const la = Math.max(-85.05, Math.min(85.05, lat));
  return [(R * lon * Math.PI / 180) / 1000, -(R * Math.log(Math.tan(Math.PI / 4 + la * Math.PI / 360))) / 1000];
}
function ringPath(ring) { return ring.map((c, i) => { const [x, y] = project(c); return `${i ? 'L' : 'M'}${x.toFixed(3)},${y.toFixed(3)}`; }).join('') + 'Z'; }
function linePath(line) { return line.map((c, i) => { const [x, y] = project(c); return `${i ? 'L' : 'M'}${x.toFixed(3)},${y.toFixed(3)}`; }).join(''); }
function geomPath(g) {
  if (!g) return '';
  switch (g.type) {
    case 'Polygon': return g.coordinates.map(ringPath).join('');
    case 'MultiPolygon': return g.coordinates.map((p) => p.map(ringPath).join('')).join('');
    case 'LineString': return linePath(g.coordinates);
    case 'MultiLineString': return g.coordinates.map(linePath).join('');
    case 'Point': return pointPath(g.coordinates);
    case 'MultiPoint': return g.coordinates.map(pointPath).join('');
    case 'GeometryCollection': return (g.geometries || []).map(geomPath).join('');
    default: return '';
  }
}
function pointPath(c) { const [x, y] = project(c); const r = 3 / state.view.k; return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`; }
function eachCoord(g, f) {
  if (!g) return;
  if (g.type === 'GeometryCollection') { (g.geometries || []).forEach((x) => eachCoord(x, f)); return; }
  const walk = (c) => { if (typeof c[0] === 'number') f(c); else c.forEach(walk); };
  if (g.coordinates) walk(g.coordinates);
}

// ---------- map view ----------
function applyView() {
  const { k, x, y } = state.view;
  $('#view').setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  drawGraticule();
}
function fit() {
  const feats = [...(state.footprints?.features || []), ...(($('#show-diff').checked && state.diff?.geojson?.features) || [])];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const f of feats) eachCoord(f.geometry, (c) => { const [x, y] = project(c); x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); });
  const box = $('#map').getBoundingClientRect();
  if (!Number.isFinite(x0)) { x0 = -20000; x1 = 20000; y0 = -15000; y1 = 15000; }
  const w = Math.max(x1 - x0, 0.05), h = Math.max(y1 - y0, 0.05);
  const k = 0.9 * Math.min(box.width / w, box.height / h);
  state.view = { k, x: box.width / 2 - k * (x0 + w / 2), y: box.height / 2 - k * (y0 + h / 2) };
  applyView();
  redrawPoints();
}
function sizeMarkers() {
  const k = state.view.k;
  for (const m of document.querySelectorAll('.fp-marker')) {
    m.setAttribute('r', String(7 / k));
    m.style.display = Number(m.getAttribute('data-size')) * k < 10 ? '' : 'none';
  }
}
function redrawPoints() {
  sizeMarkers(); for (const p of document.querySelectorAll('path[data-point]')) p.setAttribute('d', geomPath(p.__geom)); }
function drawGraticule() {
  const g = $('#graticule'); g.replaceChildren();
  const box = $('#map').getBoundingClientRect(); const { k, x, y } = state.view;
  if (!box.width || !k) return;
  const inv = (px, py) => { const mx = (px - x) / k * 1000, my = -(py - y) / k * 1000; return [mx / R * 180 / Math.PI, (2 * Math.atan(Math.exp(my / R)) - Math.PI / 2) * 180 / Math.PI]; };
  const [lonA, latA] = inv(0, box.height), [lonB, latB] = inv(box.width, 0);
  const span = Math.max(lonB - lonA, latB - latA);
  const steps = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30];
  const step = steps.find((s) => span / s <= 8) || 30;
  const d = [];
  for (let lon = Math.ceil(lonA / step) * step; lon <= lonB; lon += step) d.push(linePath([[lon, Math.max(latA, -85)], [lon, Math.min(latB, 85)]]));
  for (let lat = Math.ceil(latA / step) * step; lat <= latB; lat += step) d.push(linePath([[lonA, lat], [lonB, lat]]));
  g.append(el('path', { d: d.join('') }));
  $('#graticule-step').textContent = `graticule ${step}°`;
}
function setupPanZoom() {
  const svg = $('#map'); let drag = null;
  svg.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, vx: state.view.x, vy: state.view.y, moved: false }; svg.classList.add('dragging'); });
  window.addEventListener('pointermove', (e) => { if (!drag) return; const dx = e.clientX - drag.x, dy = e.clientY - drag.y; if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true; state.view.x = drag.vx + dx; state.view.y = drag.vy + dy; applyView(); });
  window.addEventListener('pointerup', () => { if (drag) svg.classList.remove('dragging'); setTimeout(() => { drag = null; }, 0); });
  svg.addEventListener('click', (e) => { if (drag && drag.moved) e.stopPropagation(); }, true);
  svg.addEventListener('wheel', (e) => {
    e.preventDefault(); const box = svg.getBoundingClientRect(); const px = e.clientX - box.left, py = e.clientY - box.top;
    const f = Math.exp(-e.deltaY * 0.0015); const { k, x, y } = state.view;
    state.view = { k: k * f, x: px - (px - x) * f, y: py - (py - y) * f }; applyView(); redrawPoints();
  }, { passive: false });
  $('#fit').addEventListener('click', fit);
  window.addEventListener('resize', () => applyView());
}

// ---------- layers ----------
function footprintColour(f) {
  const p = f.properties;
  if (state.colour === 'split') return p.split ? (SPLIT_COLOURS[p.split] || colourOf(p.split)) : '#64748b';
  return versionColour(p.version);
}
function versionColour(v) {
  const present = state.footprints?.versions || [];
  const order = state.revisions.map((r) => r.short).reverse().filter((x) => present.includes(x)); // oldest first
  const i = order.indexOf(v);
  return i >= 0 ? VERSION_PALETTE[i % VERSION_PALETTE.length] : colourOf(v);
}
function drawFootprints() {
  const g = $('#layer-footprints'); g.replaceChildren();
  const feats = state.footprints?.features || [];
  let rasters = 0, vectors = 0;
  const markers = [];
  feats.forEach((f, i) => {
    const c = footprintColour(f); const isPoint = /Point/.test(f.geometry?.type || '');
    const p = el('path', { d: geomPath(f.geometry), class: `fp ${f.properties.kind}${isPoint ? ' point' : ''}`, fill: /Line/.test(f.geometry?.type || '') ? 'none' : c, stroke: c,
      'data-path': f.properties.path, 'data-split': f.properties.split, 'data-version': f.properties.version, 'data-index': i });
    if (isPoint) { p.setAttribute('data-point', '1'); p.__geom = f.geometry; }
    p.append(el('title', {}, `${f.properties.path}${f.properties.split ? ` · ${f.properties.split}` : ''} · ${f.properties.version}`));
    p.addEventListener('click', () => select(i));
    g.append(p);
    if (f.properties.kind === 'raster') {
      rasters++;
      // A marker keeps a small scene visible when its footprint is only a few pixels wide.
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      eachCoord(f.geometry, (co) => { const [x, y] = project(co); x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); });
      const m = el('circle', { class: 'fp-marker', cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, stroke: c, 'data-index': i, 'data-size': Math.max(x1 - x0, y1 - y0) });
      m.append(el('title', {}, f.properties.path));
      m.addEventListener('click', () => select(i));
      markers.push(m);
    } else vectors++;
  });
  g.append(...markers);
  sizeMarkers();
  g.setAttribute('data-count', feats.length);
  Object.assign(state.counts, { footprints: feats.length, rasters, vectors });
  drawLegend();
}
function drawDiff() {
  const g = $('#layer-diff'); g.replaceChildren();
  const feats = ($('#show-diff').checked && state.diff?.geojson?.features) || [];
  const n = { added: 0, removed: 0, changed: 0 };
  for (const f of feats) {
    const st = f.properties.status; if (!(st in n)) continue; n[st]++;
    const p = el('path', { d: geomPath(f.geometry), class: `chg ${st}`, 'data-status': st });
    if (/Point/.test(f.geometry?.type || '')) { p.setAttribute('data-point', '1'); p.__geom = f.geometry; }
    g.append(p);
  }
  g.setAttribute('data-count', n.added + n.removed + n.changed);
  g.setAttribute('data-added', n.added); g.setAttribute('data-removed', n.removed); g.setAttribute('data-changed', n.changed);
  Object.assign(state.counts, { diff: n.added + n.removed + n.changed, ...n });
  drawLegend();
}
function drawLegend() {
  const L = $('#legend'); L.replaceChildren();
  const row = (colour, text, style = '') => { const d = el('div'); const i = el('i'); i.style.background = colour; if (style) i.style.cssText += style; d.append(i, document.createTextNode(text)); L.append(d); };
  const feats = state.footprints?.features || [];
  if (state.colour === 'split') {
    const splits = state.footprints?.splits || [];
    for (const s of splits) row(SPLIT_COLOURS[s] || colourOf(s), `${s} (${feats.filter((f) => f.properties.split === s).length})`);
    const none = feats.filter((f) => !f.properties.split).length;
    if (none) row('#64748b', `no split (${none})`);
  } else {
    for (const v of state.footprints?.versions || []) {
      const r = state.revisions.find((x) => x.short === v);
      row(versionColour(v), `${v}${r ? ` ${r.subject.slice(0, 40)}` : ''} (${feats.filter((f) => f.properties.version === v).length})`);
    }
  }
  if ($('#show-diff').checked && state.diff) {
    row('#16a34a', `added (${state.counts.added})`); row('#dc2626', `removed (${state.counts.removed})`); row('#f59e0b', `changed (${state.counts.changed})`);
  }
}
function select(i) {
  const f = state.footprints.features[i]; state.selected = f.properties.path;
  document.body.dataset.selected = f.properties.path;
  for (const p of document.querySelectorAll('.fp.selected')) p.classList.remove('selected');
  document.querySelector(`.fp[data-index="${i}"]`)?.classList.add('selected');
  const d = $('#details'); d.replaceChildren(el('h2', {}, 'Selection'));
  const dl = el('dl'); const add = (k, v) => { if (v === undefined || v === null || v === '') return; dl.append(el('dt', {}, k), el('dd', {}, String(v))); };
  const p = f.properties;
  add('path', p.path); add('kind', p.kind); add('tracked by', p.out); add('version', p.version); add('split', p.split); add('chip', p.chip); add('class', p.class);
  if (p.kind === 'raster') { add('CRS', p.crs); add('size', `${p.width} × ${p.height}`); add('bands', `${p.bands} × ${p.dtype}`); add('overviews', p.overviews); }
  d.append(dl);
  if (p.kind === 'raster') {
    const img = el('img', { id: 'preview', alt: `preview of ${p.path}` });
    img.addEventListener('load', () => img.setAttribute('data-loaded', '1'));
    img.addEventListener('error', async () => { const r = await fetch(img.src); const b = await r.json().catch(() => ({})); d.append(el('p', { class: 'error' }, `preview failed: ${b.error?.message || r.status}`)); });
    img.src = `/api/preview.png?rev=${encodeURIComponent(state.rev)}&path=${encodeURIComponent(p.path)}&size=384`;
    d.append(img);
  }
}

// ---------- revisions, footprints, diff ----------
function fillRevisionPickers() {
  const rev = $('#rev'), base = $('#base');
  rev.replaceChildren(); base.replaceChildren(el('option', { value: '' }, '(none)'));
  for (const r of state.revisions) {
    const t = `${r.short} ${r.date.slice(0, 10)} ${r.subject}`.slice(0, 70);
    rev.append(el('option', { value: r.sha }, t)); base.append(el('option', { value: r.sha }, t));
  }
}
function defaultBase(sha) { const i = state.revisions.findIndex((r) => r.sha === sha); return state.revisions[i + 1]?.sha || ''; }
async function loadRevision(sha, base) {
  state.rev = sha; state.base = base === undefined ? defaultBase(sha) : base;
  $('#rev').value = sha; $('#base').value = state.base;
  document.body.dataset.state = 'loading'; status(`loading ${shortRev(sha)}…`);
  if (state.selected) { state.selected = null; $('#details').replaceChildren(el('h2', {}, 'Selection'), el('p', { class: 'muted' }, 'Click a footprint on the map.')); }
  try {
    const [fp, diff] = await Promise.all([api(`/api/footprints?rev=${sha}`), state.base ? api(`/api/diff?a=${state.base}&b=${sha}`) : Promise.resolve(null)]);
    state.footprints = fp; state.diff = diff;
    drawFootprints(); drawDiff(); fit(); showDiffSummary();
    const miss = fp.missing?.length ? ` · ${fp.missing.length} path(s) not in the cache` : '';
    status(`${shortRev(sha)}: ${state.counts.rasters} raster(s), ${state.counts.vectors} vector feature(s)${miss}`);
    document.body.dataset.rev = sha; document.body.dataset.state = 'ready';
  } catch (e) { status(String(e.message || e), true); document.body.dataset.state = 'error'; }
}
function showDiffSummary() {
  const box = $('#diff-summary'); box.replaceChildren(); box.className = '';
  if (!state.diff) { box.className = 'muted'; box.textContent = state.base ? '—' : 'Pick a revision to diff against.'; return; }
  const s = state.diff.summary || {};
  box.append(el('p', {}, `${shortRev(state.base)} → ${shortRev(state.rev)}: `));
  const p = box.firstChild;
  for (const [k, cls] of [['added', 'added'], ['removed', 'removed'], ['geometry', 'changed']]) { p.append(el('span', { class: `badge ${cls}` }, `${s[k] || 0} ${k === 'geometry' ? 'geometry' : k}`), document.createTextNode(' ')); }
  if (s.class || s.attributes) p.append(document.createTextNode(`${s.class || 0} class, ${s.attributes || 0} attribute change(s)`));
  const files = (state.diff.files || []).filter((f) => f.status !== 'byte-identical' && f.status !== 'identical');
  if (files.length) { const ul = el('ul'); for (const f of files) ul.append(el('li', {}, `${f.path}: ${f.status}`)); box.append(ul); }
  else box.append(el('p', { class: 'muted' }, 'no annotation file changed'));
}

// ---------- experiments ----------
function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out); else out[key] = v;
  }
  return out;
}
function expColumns() {
  const rows = state.experiments.map((r) => ({ r, m: flatten(Object.fromEntries(Object.entries(r.metrics || {}).map(([f, v]) => [f, v && v.data !== undefined ? v.data : v]))), p: flatten(r.params) }));
  const strip = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/^[^.]*\.(json|yaml|yml|toml|py)\./, ''), v]));
  return rows.map((x) => ({ ...x, m: strip(x.m), p: strip(x.p) }));
}
function numericKeys(list) { const keys = new Set(); for (const o of list) for (const [k, v] of Object.entries(o)) if (typeof v === 'number') keys.add(k); return [...keys].sort(); }
async function loadExperiments() {
  try { state.experiments = await api('/api/experiments'); } catch (e) { state.experiments = []; $('#exp-table').replaceChildren(el('caption', { class: 'error' }, String(e.message || e))); return; }
  const rows = expColumns();
  const mk = numericKeys(rows.map((x) => x.m)), pk = numericKeys(rows.map((x) => x.p));
  $('#metric').replaceChildren(...mk.map((k) => el('option', { value: k }, k)));
  $('#param').replaceChildren(...pk.map((k) => el('option', { value: k }, k)));
  // Default to the columns that vary between experiments (the param someone changed with -S).
  const varies = (list, k) => new Set(list.map((o) => o[k]).filter((v) => typeof v === 'number')).size > 1;
  const pv = pk.find((k) => varies(rows.map((x) => x.p), k)), mv = mk.find((k) => varies(rows.map((x) => x.m), k));
  if (pv) $('#param').value = pv;
  if (mv) $('#metric').value = mv;
  const table = $('#exp-table');
  table.replaceChildren();
  const allM = [...new Set(rows.flatMap((x) => Object.keys(x.m)))], allP = [...new Set(rows.flatMap((x) => Object.keys(x.p)))];
  const head = el('tr'); for (const h of ['experiment', 'rev', ...allM, ...allP]) head.append(el('th', {}, h)); table.append(head);
  for (const x of rows) {
    const tr = el('tr', { 'data-kind': x.r.kind });
    tr.append(el('td', {}, x.r.name), el('td', {}, x.r.rev === 'workspace' ? '' : shortRev(x.r.rev)));
    for (const k of allM) tr.append(el('td', { class: typeof x.m[k] === 'number' ? 'num' : '' }, x.m[k] === undefined ? '-' : fmt(x.m[k])));
    for (const k of allP) tr.append(el('td', { class: typeof x.p[k] === 'number' ? 'num' : '' }, x.p[k] === undefined ? '-' : fmt(x.p[k])));
    table.append(tr);
  }
  state.counts.experiments = rows.filter((x) => x.r.kind === 'experiment').length;
  table.setAttribute('data-rows', rows.length);
  drawPlot();
}
const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v));
function niceTicks(lo, hi, n = 5) { if (lo === hi) { lo -= 1; hi += 1; } const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n))); const s = [1, 2, 5, 10].map((m) => m * step).find((x) => (hi - lo) / x <= n) || step * 10; const t = []; for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-12; v += s) t.push(+v.toPrecision(12)); return { lo: Math.min(lo, t[0] ?? lo), hi: Math.max(hi, t[t.length - 1] ?? hi), t }; }
function drawPlot() {
  const svg = $('#exp-plot'); svg.replaceChildren();
  const metric = $('#metric').value, param = $('#param').value;
  const pts = expColumns().filter((x) => x.r.kind !== 'workspace' && typeof x.m[metric] === 'number' && typeof x.p[param] === 'number').map((x) => ({ name: x.r.name, kind: x.r.kind, x: x.p[param], y: x.m[metric] }));
  svg.setAttribute('data-points', pts.length); state.counts.points = pts.length;
  if (!pts.length) { svg.append(el('svgtext', { x: 180, y: 110, 'text-anchor': 'middle' }, metric && param ? 'no experiment has both values' : 'no numeric metrics/params')); return; }
  const W = 360, H = 220, m = { l: 58, r: 40, t: 18, b: 36 };
  const X = niceTicks(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)));
  const Y = niceTicks(Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y)));
  const sx = (v) => m.l + (v - X.lo) / (X.hi - X.lo) * (W - m.l - m.r), sy = (v) => H - m.b - (v - Y.lo) / (Y.hi - Y.lo) * (H - m.t - m.b);
  svg.append(el('line', { class: 'axis', x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b }), el('line', { class: 'axis', x1: m.l, y1: m.t, x2: m.l, y2: H - m.b }));
  for (const v of X.t) svg.append(el('line', { class: 'axis', x1: sx(v), x2: sx(v), y1: H - m.b, y2: H - m.b + 4 }), el('svgtext', { x: sx(v), y: H - m.b + 15, 'text-anchor': 'middle' }, fmt(v)));
  for (const v of Y.t) svg.append(el('line', { class: 'axis', x1: m.l - 4, x2: m.l, y1: sy(v), y2: sy(v) }), el('svgtext', { x: m.l - 6, y: sy(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  svg.append(el('svgtext', { x: (W + m.l) / 2, y: H - 4, 'text-anchor': 'middle' }, param), el('svgtext', { x: 11, y: H / 2, transform: `rotate(-90 11 ${H / 2})`, 'text-anchor': 'middle' }, metric));
  const sorted = [...pts].sort((a, b) => a.x - b.x);
  if (sorted.length > 1) svg.append(el('path', { d: sorted.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x)},${sy(p.y)}`).join(''), fill: 'none', stroke: '#93c5fd', 'stroke-width': 1.2 }));
  for (const p of pts) {
    const c = el('circle', { class: `exp-point ${p.kind}`, cx: sx(p.x), cy: sy(p.y), r: 5, 'data-name': p.name });
    c.append(el('title', {}, `${p.name}: ${param}=${fmt(p.x)}, ${metric}=${fmt(p.y)}`)); svg.append(c);
    const right = sx(p.x) > W - m.r - 50;
    svg.append(el('svgtext', { x: sx(p.x) + (right ? -7 : 7), y: sy(p.y) - 7, 'text-anchor': right ? 'end' : 'start' }, p.name));
  }
}

// ---------- start ----------
async function main() {
  setupPanZoom();
  $('#rev').addEventListener('change', (e) => loadRevision(e.target.value));
  $('#base').addEventListener('change', (e) => loadRevision(state.rev, e.target.value));
  $('#show-diff').addEventListener('change', () => { drawDiff(); });
  for (const r of document.querySelectorAll('input[name=colour]')) r.addEventListener('change', (e) => { state.colour = e.target.value; drawFootprints(); });
  $('#metric').addEventListener('change', drawPlot); $('#param').addEventListener('change', drawPlot);
  try {
    const info = await api('/api/info');
    state.revisions = info.revisions;
    document.title = `geodvc ui · ${info.root.split('/').pop()}`;
    fillRevisionPickers();
    const expP = loadExperiments();
    if (state.revisions.length) await loadRevision(state.revisions[0].sha);
    else { status('no commit tracks data yet (git log -- "*.dvc" dvc.lock is empty)'); document.body.dataset.state = 'ready'; }
    await expP;
    document.body.dataset.experiments = 'ready';
  } catch (e) { status(String(e.message || e), true); document.body.dataset.state = 'error'; }
}
main();
