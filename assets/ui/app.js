// geodvc ui: MapLibre GL JS (served by geodvc itself from the installed package) over an offline
// Natural Earth basemap, one map layer per tracked output / stage output, raster tiles read from
// the cache, revisions with what changed, the annotation diff on the map, experiments.
// Nothing is loaded from another host unless `geodvc ui --basemap URL` set an online basemap.
// The page exposes what it drew for tests and scripts: data-* attributes on the lists and
// window.geodvcUi (state, counts, the map objects).
import * as ML from '/vendor/maplibre/maplibre-gl.mjs';

const maplibregl = ML.default ?? ML;
const $ = (s) => document.querySelector(s);
const SPLIT_COLOURS = { train: '#2563eb', val: '#f59e0b', validation: '#f59e0b', test: '#db2777' };
const VERSION_PALETTE = ['#2563eb', '#7c3aed', '#0891b2', '#db2777', '#92400e', '#475569', '#4f46e5', '#be185d', '#0f766e', '#9333ea'];
const LAYER_PALETTE = ['#2563eb', '#7c3aed', '#0891b2', '#db2777', '#ea580c', '#0f766e', '#4f46e5', '#be185d', '#65a30d', '#9333ea'];
const DIFF_COLOURS = { added: '#16a34a', removed: '#dc2626', changed: '#f59e0b' };
const HIGHLIGHT = '#facc15';
const DROPPED = '#111827';
const EMPTY = { type: 'FeatureCollection', features: [] };
const MAX_TILE_RASTERS = 64;

const state = {
  config: { basemap: null, tiles: false }, revisions: [], timeline: [], rev: null, base: null, colour: 'layer',
  footprints: null, baseFootprints: null, diff: null, experiments: [], layers: [], selected: null, hovered: null, diffSelected: null,
  map: null, mapB: null, popup: null, rasterSources: [],
  counts: { footprints: 0, rasters: 0, vectors: 0, diff: 0, added: 0, removed: 0, changed: 0, points: 0, experiments: 0, layers: 0, tiles: 0, buffers: 0, bufferedB: 0, dropped: 0 },
};
window.geodvcUi = state;
let dataArrived = () => {};
const firstData = new Promise((r) => { dataArrived = r; });

async function api(path) {
  const r = await fetch(path);
  const ct = r.headers.get('content-type') || '';
  const body = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) { const e = body && body.error; throw new Error(e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `HTTP ${r.status}`); }
  return body;
}
const SVGNS = 'http://www.w3.org/2000/svg';
function el(tag, attrs = {}, text) {
  const svg = ['path', 'g', 'circle', 'line', 'rect', 'title', 'svgtext'].includes(tag);
  const e = svg ? document.createElementNS(SVGNS, tag === 'svgtext' ? 'text' : tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function status(msg, err) { const s = $('#status'); s.textContent = msg; s.className = err ? 'error' : ''; }
const shortRev = (sha) => (sha || '').slice(0, 7);
const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v));

function eachCoord(g, f) {
  if (!g) return;
  if (g.type === 'GeometryCollection') { (g.geometries || []).forEach((x) => eachCoord(x, f)); return; }
  const walk = (c) => { if (typeof c[0] === 'number') f(c); else c.forEach(walk); };
  if (g.coordinates) walk(g.coordinates);
}
function bboxOf(features) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const f of features) eachCoord(f.geometry, ([x, y]) => { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); });
  return Number.isFinite(x0) ? [x0, y0, x1, y1] : null;
}
function fitTo(map, bb, maxZoom = 16, animate = false) {
  if (!bb) return;
  const pad = Math.min(60, map.getContainer().clientWidth / 8, map.getContainer().clientHeight / 8);
  map.fitBounds([[bb[0], bb[1]], [bb[2], bb[3]]], { padding: pad, maxZoom, duration: animate ? 700 : 0 });
}

// ---------- map style: offline basemap, graticule, data sources ----------
let basemap = null;
function style() {
  const sources = {
    // 1:50m data has no detail past zoom 7: deeper views overzoom those tiles instead of slicing the world again
    land: { type: 'geojson', data: basemap.land, maxzoom: 7 },
    coast: { type: 'geojson', data: basemap.coastline, maxzoom: 7 },
    borders: { type: 'geojson', data: basemap.borders, maxzoom: 7 },
    graticule: { type: 'geojson', data: EMPTY },
    footprints: { type: 'geojson', data: EMPTY },
    markers: { type: 'geojson', data: EMPTY },
    diff: { type: 'geojson', data: EMPTY },
    buffers: { type: 'geojson', data: EMPTY },
  };
  const layers = [{ id: 'ocean', type: 'background', paint: { 'background-color': '#cfe0ee' } }];
  if (state.config.basemap) {
    sources.online = { type: 'raster', tiles: [state.config.basemap], tileSize: 256, attribution: 'basemap: user URL' };
    layers.push({ id: 'online', type: 'raster', source: 'online' });
  }
  layers.push(
    { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#efe9dc', 'fill-opacity': state.config.basemap ? 0 : 1 } },
    { id: 'coast', type: 'line', source: 'coast', paint: { 'line-color': '#6b8aa6', 'line-width': 0.9 } },
    { id: 'borders', type: 'line', source: 'borders', paint: { 'line-color': '#a8978c', 'line-width': 0.7, 'line-dasharray': [3, 2] } },
    { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#64748b', 'line-opacity': 0.35, 'line-width': 0.7 } },
    // geo split's buffer zones around val/test chips, under the data layers (added later, before 'diff-fill')
    { id: 'buffer-fill', type: 'fill', source: 'buffers', layout: { visibility: 'none' }, paint: { 'fill-color': splitColourExpr(), 'fill-opacity': 0.22 } },
    { id: 'buffer-line', type: 'line', source: 'buffers', layout: { visibility: 'none' }, paint: { 'line-color': splitColourExpr(), 'line-width': 1.6, 'line-dasharray': [2, 1.5] } },
    // diff layers go above the data layers (added later, before 'diff-fill')
    { id: 'diff-fill', type: 'fill', source: 'diff', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': diffColourExpr(), 'fill-opacity': 0.35 } },
    { id: 'diff-line', type: 'line', source: 'diff', paint: { 'line-color': diffColourExpr(), 'line-width': 2.2 } },
    { id: 'diff-point', type: 'circle', source: 'diff', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': diffColourExpr(), 'circle-radius': 5 } },
    { id: 'markers', type: 'circle', source: 'markers', maxzoom: 9, paint: { 'circle-radius': 7, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 2.5, 'circle-stroke-color': ['get', 'colour'] } },
    { id: 'hover-line', type: 'line', source: 'footprints', filter: ['==', ['id'], -1], paint: { 'line-color': '#111827', 'line-width': 3 } },
    { id: 'sel-fill', type: 'fill', source: 'footprints', filter: ['==', ['id'], -1], paint: { 'fill-color': HIGHLIGHT, 'fill-opacity': 0.45 } },
    { id: 'sel-line', type: 'line', source: 'footprints', filter: ['==', ['id'], -1], paint: { 'line-color': HIGHLIGHT, 'line-width': 4 } },
    { id: 'diff-sel-fill', type: 'fill', source: 'diff', filter: ['==', ['id'], -1], paint: { 'fill-color': HIGHLIGHT, 'fill-opacity': 0.5 } },
    { id: 'diff-sel-line', type: 'line', source: 'diff', filter: ['==', ['id'], -1], paint: { 'line-color': HIGHLIGHT, 'line-width': 4 } },
  );
  return { version: 8, sources, layers };
}
function splitColourExpr() { return ['match', ['get', 'split'], ...Object.entries(SPLIT_COLOURS).flat(), '#64748b']; }
function diffColourExpr() { return ['match', ['get', 'status'], 'added', DIFF_COLOURS.added, 'removed', DIFF_COLOURS.removed, DIFF_COLOURS.changed]; }

function createMap(container) {
  const map = new maplibregl.Map({ container, style: style(), center: [0, 20], zoom: 1, attributionControl: false, maxZoom: 22, fadeDuration: 0 });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 140, unit: 'metric' }), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: 'Natural Earth (public domain)' }), 'bottom-right');
  return map;
}
const loaded = (map) => new Promise((r) => (map.loaded() ? r() : map.once('load', r)));

// ---------- graticule, labels and cursor coordinates ----------
function graticuleStep(span) { return [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30].find((s) => span / s <= 7) || 30; }
function fmtDeg(v, pos, neg, step) {
  const d = step < 0.01 ? 3 : step < 0.1 ? 2 : step < 1 ? 1 : 0;
  return `${Math.abs(v).toFixed(d)}°${v > 0 ? pos : v < 0 ? neg : ''}`;
}
function drawGraticule() {
  const map = state.map; if (!map) return;
  const b = map.getBounds();
  const lonA = Math.max(-180, b.getWest()), lonB = Math.min(180, b.getEast()), latA = Math.max(-85, b.getSouth()), latB = Math.min(85, b.getNorth());
  const step = graticuleStep(Math.max(lonB - lonA, latB - latA));
  const lines = [];
  const lons = [], lats = [];
  for (let lon = Math.ceil(lonA / step) * step; lon <= lonB; lon += step) { lons.push(+lon.toFixed(6)); lines.push([[lon, -85], [lon, 85]]); }
  for (let lat = Math.ceil(latA / step) * step; lat <= latB; lat += step) {
    lats.push(+lat.toFixed(6));
    const row = []; for (let i = 0; i <= 64; i++) row.push([lonA + ((lonB - lonA) * i) / 64, lat]);
    lines.push(row);
  }
  const data = { type: 'FeatureCollection', features: lines.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: c } })) };
  for (const m of [state.map, state.mapB]) m?.getSource('graticule')?.setData(data);
  const box = $('#graticule-labels'); box.replaceChildren();
  const w = map.getContainer().clientWidth, h = map.getContainer().clientHeight;
  for (const lon of lons) { const p = map.project([lon, (latA + latB) / 2]); if (p.x > 30 && p.x < w - 30) { const d = el('div', { class: 'glabel lon', 'data-lon': lon }, fmtDeg(lon, 'E', 'W', step)); d.style.left = `${p.x}px`; box.append(d); } }
  for (const lat of lats) { const p = map.project([(lonA + lonB) / 2, lat]); if (p.y > 20 && p.y < h - 20) { const d = el('div', { class: 'glabel lat', 'data-lat': lat }, fmtDeg(lat, 'N', 'S', step)); d.style.top = `${p.y}px`; box.append(d); } }
  box.dataset.step = String(step);
}
function showCursor(e) {
  const { lng, lat } = e.lngLat;
  $('#cursor').textContent = `${lat.toFixed(5)}, ${lng.toFixed(5)} · z${state.map.getZoom().toFixed(1)}`;
}

// ---------- layers: one per tracked output / stage output ----------
function layerKey(p) { return p.out; }
function buildLayers() {
  const feats = state.footprints?.features || [];
  const prev = new Map(state.layers.map((l) => [l.out, l]));
  const by = new Map();
  for (const f of feats) {
    const k = layerKey(f.properties);
    if (!by.has(k)) by.set(k, { out: k, trackedBy: f.properties.trackedBy, stage: f.properties.stage, rasters: 0, vectors: 0, files: new Set() });
    const l = by.get(k);
    if (f.properties.kind === 'raster') l.rasters++; else l.vectors++;
    l.files.add(f.properties.path);
  }
  state.layers = [...by.values()].sort((a, b) => (b.rasters - a.rasters) || a.out.localeCompare(b.out)).map((l, i) => {
    const old = prev.get(l.out);
    return { ...l, files: l.files.size, colour: old?.colour || LAYER_PALETTE[i % LAYER_PALETTE.length], visible: old ? old.visible : true, pixels: old ? old.pixels : l.rasters > 0 };
  });
  state.counts.layers = state.layers.length;
}
function versionColour(v) {
  const present = state.footprints?.versions || [];
  const order = state.revisions.map((r) => r.short).reverse().filter((x) => present.includes(x));
  const i = order.indexOf(v);
  return VERSION_PALETTE[(i >= 0 ? i : 0) % VERSION_PALETTE.length];
}
function colourExpr(layer) {
  if (state.colour === 'split') {
    const splits = state.footprints?.splits || [];
    if (!splits.length) return '#64748b';
    return ['case', ['to-boolean', ['get', 'dropped']], DROPPED,
      ['match', ['coalesce', ['get', 'split'], ''], ...splits.flatMap((s) => [s, SPLIT_COLOURS[s] || LAYER_PALETTE[splits.indexOf(s) % LAYER_PALETTE.length]]), '#64748b']];
  }
  if (state.colour === 'version') {
    const vs = state.footprints?.versions || [];
    if (!vs.length) return '#64748b';
    return ['match', ['coalesce', ['get', 'version'], ''], ...vs.flatMap((v) => [v, versionColour(v)]), '#64748b'];
  }
  return layer.colour;
}
const fpLayerIds = (i) => [`fp-fill-${i}`, `fp-line-${i}`, `fp-point-${i}`];
function allFpLayerIds() { return state.layers.flatMap((_, i) => fpLayerIds(i)); }
function removeDataLayers(map) {
  for (const l of map.getStyle().layers) if (/^(fp-|raster-)/.test(l.id)) map.removeLayer(l.id);
  for (const id of Object.keys(map.getStyle().sources)) if (id.startsWith('raster-')) map.removeSource(id);
}
function addDataLayers(map, feats, rev) {
  removeDataLayers(map);
  map.getSource('footprints').setData({ type: 'FeatureCollection', features: feats });
  map.getSource('markers').setData({ type: 'FeatureCollection', features: feats.filter((f) => f.properties.kind === 'raster').map((f) => {
    const bb = bboxOf([f]); const li = state.layers.findIndex((l) => l.out === f.properties.out);
    return { type: 'Feature', id: f.id, properties: { colour: state.layers[li]?.colour || '#334155', path: f.properties.path, out: f.properties.out }, geometry: { type: 'Point', coordinates: [(bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2] } };
  }) });
  const rasterSources = [];
  state.layers.forEach((l, i) => {
    const c = colourExpr(l);
    const vis = l.visible ? 'visible' : 'none';
    const f = ['==', ['get', 'out'], l.out];
    map.addLayer({ id: `fp-fill-${i}`, type: 'fill', source: 'footprints', filter: ['all', f, ['==', ['geometry-type'], 'Polygon']], layout: { visibility: vis }, paint: { 'fill-color': c, 'fill-opacity': ['case', ['==', ['get', 'kind'], 'raster'], 0.04, 0.3] } }, 'diff-fill');
    map.addLayer({ id: `fp-line-${i}`, type: 'line', source: 'footprints', filter: f, layout: { visibility: vis }, paint: { 'line-color': c, 'line-width': ['case', ['==', ['get', 'kind'], 'raster'], 2, 1.3] } }, 'diff-fill');
    map.addLayer({ id: `fp-point-${i}`, type: 'circle', source: 'footprints', filter: ['all', f, ['==', ['geometry-type'], 'Point']], layout: { visibility: vis }, paint: { 'circle-color': c, 'circle-radius': 4, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } }, 'diff-fill');
    // pixels of the layer's rasters, under every vector layer
    if (!l.pixels) return;
    for (const fe of feats) {
      if (fe.properties.out !== l.out || fe.properties.kind !== 'raster' || rasterSources.length >= MAX_TILE_RASTERS) continue;
      const id = `raster-${rasterSources.length}`;
      const bb = bboxOf([fe]);
      const q = `rev=${encodeURIComponent(rev)}&path=${encodeURIComponent(fe.properties.path)}${rasterQuery()}`;
      if (state.config.tiles) {
        const lat = (bb[1] + bb[3]) / 2;
        const res = ((bb[2] - bb[0]) * 111320 * Math.cos((lat * Math.PI) / 180)) / Math.max(1, fe.properties.width || 256);
        // the zoom whose tile pixels reach the raster's own, plus one level of sharp (nearest) oversampling
        const maxzoom = Math.max(1, Math.min(22, Math.ceil(Math.log2((156543 * Math.cos((lat * Math.PI) / 180)) / Math.max(res, 0.01))) + 1));
        map.addSource(id, { type: 'raster', tiles: [`${location.origin}/api/tiles/{z}/{x}/{y}.png?${q}`], tileSize: 256, bounds: bb, maxzoom });
      } else {
        // without native GDAL: the downsampled preview at the footprint's corners
        const ring = fe.geometry.coordinates[0]; const n = (ring.length - 1) / 4;
        map.addSource(id, { type: 'image', url: `${location.origin}/api/preview.png?${q.replace(/&bands=[^&]*|&stretch=[^&]*/g, '')}&size=1024`, coordinates: [ring[0], ring[n], ring[2 * n], ring[3 * n]] });
      }
      map.addLayer({ id, type: 'raster', source: id, layout: { visibility: vis }, paint: { 'raster-opacity': 0.95, 'raster-fade-duration': 0 } }, 'graticule');
      rasterSources.push({ id, out: l.out, path: fe.properties.path });
    }
  });
  return rasterSources;
}
function rasterQuery() {
  const b = $('#bands').value.trim();
  return `${/^\d+(,\d+){0}$|^\d+,\d+,\d+$/.test(b) ? `&bands=${b}` : ''}&stretch=${encodeURIComponent($('#stretch').value)}`;
}
function redrawData() {
  const feats = state.footprints?.features || [];
  state.rasterSources = addDataLayers(state.map, feats, state.rev);
  state.counts.tiles = state.rasterSources.length;
  if (state.mapB && state.baseFootprints) addDataLayers(state.mapB, state.baseFootprints.features, state.base);
  drawBuffers();
  applySelection();
  drawLayerList();
  drawLegend();
}
// geo split's buffer zones (splits.json) in split view and when colouring by split
function buffersShown() { return state.colour === 'split' || document.body.classList.contains('split'); }
function drawBuffers() {
  const on = buffersShown();
  for (const [m, fp] of [[state.map, state.footprints], [state.mapB, state.baseFootprints]]) {
    if (!m?.getSource('buffers')) continue;
    m.getSource('buffers').setData({ type: 'FeatureCollection', features: (on && fp?.buffers) || [] });
    for (const id of ['buffer-fill', 'buffer-line']) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
  state.counts.buffers = on ? (state.footprints?.buffers || []).length : 0;
  state.counts.bufferedB = on && state.mapB ? (state.baseFootprints?.buffers || []).length : 0;
  state.counts.dropped = (state.footprints?.features || []).filter((f) => f.properties.dropped).length;
}
function setVisible(i, on) {
  const l = state.layers[i]; l.visible = on;
  for (const m of [state.map, state.mapB]) {
    if (!m) continue;
    for (const id of fpLayerIds(i)) if (m.getLayer(id)) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    for (const r of state.rasterSources.filter((x) => x.out === l.out)) if (m.getLayer(r.id)) m.setLayoutProperty(r.id, 'visibility', on ? 'visible' : 'none');
  }
  drawLayerList();
}
function drawLayerList() {
  const ul = $('#layers'); ul.replaceChildren();
  state.layers.forEach((l, i) => {
    const li = el('li', { 'data-out': l.out, 'data-count': l.rasters + l.vectors, 'data-rasters': l.rasters, 'data-vectors': l.vectors, 'data-visible': l.visible ? '1' : '0' });
    const cb = el('input', { type: 'checkbox', class: 'toggle', 'aria-label': `show ${l.out}` }); cb.checked = l.visible;
    cb.addEventListener('change', () => setVisible(i, cb.checked));
    const col = el('input', { type: 'color', class: 'colour', value: l.colour, 'aria-label': `colour of ${l.out}` });
    col.addEventListener('input', () => { l.colour = col.value; if (state.colour !== 'layer') { state.colour = 'layer'; document.querySelector('input[name=colour][value=layer]').checked = true; } redrawData(); });
    const name = el('span', { class: 'name' }, l.out);
    const counts = [l.rasters ? `${l.rasters} raster${l.rasters > 1 ? 's' : ''}` : '', l.vectors ? `${l.vectors} feature${l.vectors > 1 ? 's' : ''}` : ''].filter(Boolean).join(' · ');
    const meta = el('span', { class: 'meta' }, `${counts} · ${l.stage ? `stage ${l.stage}` : l.trackedBy}`);
    const zoom = el('button', { type: 'button', class: 'zoom', title: `zoom to ${l.out}` }, 'zoom');
    zoom.addEventListener('click', () => fitTo(state.map, bboxOf((state.footprints?.features || []).filter((f) => f.properties.out === l.out)), 18, true));
    li.append(cb, col, name, zoom, meta);
    if (l.rasters) {
      const px = el('label', { class: 'pixels' }); const pcb = el('input', { type: 'checkbox', class: 'pixels-toggle' }); pcb.checked = l.pixels;
      pcb.addEventListener('change', () => { l.pixels = pcb.checked; redrawData(); });
      px.append(pcb, document.createTextNode(state.config.tiles ? ' pixels (tiles)' : ' pixels (preview)')); li.append(px);
    }
    ul.append(li);
  });
}
function drawLegend() {
  const L = $('#legend'); L.replaceChildren();
  const row = (colour, text) => { const d = el('div'); const i = el('i'); i.style.background = colour; d.append(i, document.createTextNode(text)); L.append(d); };
  const feats = state.footprints?.features || [];
  if (state.colour === 'split') {
    for (const s of state.footprints?.splits || []) row(SPLIT_COLOURS[s] || '#64748b', `${s} (${feats.filter((f) => f.properties.split === s).length})`);
    const dropped = feats.filter((f) => f.properties.dropped).length; if (dropped) row(DROPPED, `dropped for the buffer (${dropped})`);
    const none = feats.filter((f) => !f.properties.split && !f.properties.dropped).length; if (none) row('#64748b', `no split (${none})`);
  } else if (state.colour === 'version') {
    for (const v of state.footprints?.versions || []) { const r = state.revisions.find((x) => x.short === v); row(versionColour(v), `${v}${r ? ` ${r.subject.slice(0, 40)}` : ''} (${feats.filter((f) => f.properties.version === v).length})`); }
  }
  if (buffersShown()) {
    for (const sf of state.footprints?.splitFiles || []) {
      if (sf.buffer > 0) row('rgba(100,116,139,0.35)', `${sf.path}: buffer ${sf.buffer} m around val/test chips${sf.minCrossSplitDistance != null ? `; closest chips of two splits ${Math.round(sf.minCrossSplitDistance)} m apart` : ''}`);
    }
  }
  if ($('#show-diff').checked && state.diff) for (const k of ['added', 'removed', 'changed']) row(DIFF_COLOURS[k], `${k} (${state.counts[k]})`);
  L.hidden = !L.childElementCount;
}

// ---------- hover, click, popups, selection ----------
function topFeatureAt(map, point) {
  const layers = [...allFpLayerIds(), 'markers'].filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const hits = map.queryRenderedFeatures(point, { layers });
  if (!hits.length) return null;
  // the smallest feature under the cursor: a chip inside a scene is picked over the scene
  const area = (f) => { const bb = bboxOf([f]); return bb ? (bb[2] - bb[0]) * (bb[3] - bb[1]) : 0; };
  const feats = state.footprints?.features || [];
  const full = hits.map((h) => feats[h.id]).filter(Boolean);
  full.sort((a, b) => area(a) - area(b));
  return full[0] || null;
}
function popupHtml(f) {
  const p = f.properties;
  const rows = [['path', p.path], ['kind', p.kind], ['class', p.class], ['split', p.split ?? (p.dropped ? 'dropped for the buffer (geo split)' : undefined)], ['chip', p.chip], ['version', p.version], ['tracked by', p.trackedBy]];
  if (p.kind === 'raster') rows.push(['size', `${p.width} × ${p.height} × ${p.bands} ${p.dtype}`], ['CRS', p.crs]);
  for (const [k, v] of Object.entries(p.attributes || {})) if (!['class', 'split', 'chip'].includes(k)) rows.push([k, v]);
  const t = el('table', { class: 'popup-table' });
  for (const [k, v] of rows) { if (v === undefined || v === null || v === '') continue; const tr = el('tr'); tr.append(el('th', {}, k), el('td', {}, String(v))); t.append(tr); }
  return t;
}
function select(id, opts = {}) {
  const f = state.footprints?.features?.[id];
  state.selected = f ? id : null;
  document.body.dataset.selected = f ? f.properties.path : '';
  document.body.dataset.selectedId = f ? String(id) : '';
  applySelection();
  const d = $('#details'); d.replaceChildren(el('h2', {}, 'Selection'));
  if (!f) { d.append(el('p', { class: 'muted' }, 'Click a feature on the map.')); state.popup?.remove(); return; }
  d.append(popupHtml(f));
  const p = f.properties;
  if (p.kind === 'raster') {
    const img = el('img', { id: 'preview', alt: `preview of ${p.path}` });
    img.addEventListener('load', () => img.setAttribute('data-loaded', '1'));
    img.addEventListener('error', async () => { const r = await fetch(img.src); const b = await r.json().catch(() => ({})); d.append(el('p', { class: 'error' }, `preview failed: ${b.error?.message || r.status}`)); });
    img.src = `/api/preview.png?rev=${encodeURIComponent(state.rev)}&path=${encodeURIComponent(p.path)}&size=384`;
    d.append(img);
  }
  if (opts.lngLat) {
    state.popup?.remove();
    state.popup = new maplibregl.Popup({ maxWidth: '360px', closeButton: true }).setLngLat(opts.lngLat).setDOMContent(popupHtml(f)).addTo(state.map);
  }
}
function applySelection() {
  for (const m of [state.map, state.mapB]) {
    if (!m?.getLayer('sel-line')) continue;
    const sf = ['==', ['id'], state.selected ?? -1];
    m.setFilter('sel-line', m === state.map ? sf : ['==', ['id'], -1]);
    m.setFilter('sel-fill', m === state.map ? ['all', sf, ['==', ['geometry-type'], 'Polygon'], ['!=', ['get', 'kind'], 'raster']] : ['==', ['id'], -1]);
    m.setFilter('hover-line', ['==', ['id'], m === state.map ? state.hovered ?? -1 : -1]);
    const df = ['==', ['id'], state.diffSelected ?? -1];
    m.setFilter('diff-sel-line', df); m.setFilter('diff-sel-fill', ['all', df, ['==', ['geometry-type'], 'Polygon']]);
  }
}
function setupInteraction(map) {
  map.on('mousemove', (e) => {
    showCursor(e);
    if (map !== state.map) return;
    const f = topFeatureAt(map, e.point);
    const id = f ? f.id : null;
    map.getCanvas().style.cursor = f ? 'pointer' : '';
    if (id !== state.hovered) { state.hovered = id; applySelection(); }
  });
  map.on('mouseout', () => { if (state.hovered !== null) { state.hovered = null; applySelection(); } });
  map.on('click', (e) => {
    if (map !== state.map) return;
    const f = topFeatureAt(map, e.point);
    select(f ? f.id : null, { lngLat: e.lngLat });
  });
}

// ---------- revisions, timeline, diff ----------
function fillRevisionPickers() {
  const rev = $('#rev'), base = $('#base');
  rev.replaceChildren(); base.replaceChildren(el('option', { value: '' }, '(none)'));
  for (const r of state.revisions) {
    const t = `${r.short} ${r.date.slice(0, 10)} ${r.subject}`.slice(0, 70);
    rev.append(el('option', { value: r.sha }, t)); base.append(el('option', { value: r.sha }, t));
  }
}
function drawTimeline() {
  const ol = $('#timeline'); ol.replaceChildren();
  for (const t of state.timeline) {
    const li = el('li', { 'data-sha': t.sha, class: t.sha === state.rev ? 'current' : t.sha === state.base ? 'base' : '' });
    const head = el('button', { type: 'button', class: 'rev-pick' }, `${t.short} ${t.date.slice(0, 10)} ${t.subject}`.slice(0, 80));
    head.addEventListener('click', () => loadRevision(t.sha));
    li.append(head);
    const ul = el('ul', { class: 'changes' });
    for (const c of t.changes) {
      const files = c.files ? ` (${[c.files.added && `+${c.files.added}`, c.files.removed && `-${c.files.removed}`, c.files.modified && `~${c.files.modified}`].filter(Boolean).join(' ') || 'no file'} file${c.files.added + c.files.removed + c.files.modified === 1 ? '' : 's'})` : '';
      ul.append(el('li', { class: `chg-${c.status}`, 'data-status': c.status }, `${c.status} ${c.out}${c.stage ? ` [${c.stage}]` : ''}${files}`));
    }
    if (!t.changes.length) ul.append(el('li', { class: 'muted' }, 'no tracked output changed'));
    li.append(ul); ol.append(li);
  }
}
function defaultBase(sha) { const i = state.revisions.findIndex((r) => r.sha === sha); return state.revisions[i + 1]?.sha || ''; }
async function loadRevision(sha, base, { fit = true } = {}) {
  state.rev = sha; state.base = base === undefined ? defaultBase(sha) : base;
  $('#rev').value = sha; $('#base').value = state.base;
  document.body.dataset.state = 'loading'; status(`loading ${shortRev(sha)}…`);
  state.popup?.remove(); state.hovered = null; state.diffSelected = null;
  if (state.selected !== null) select(null);
  try {
    const [fp, diff, bfp] = await Promise.all([
      api(`/api/footprints?rev=${sha}`),
      state.base ? api(`/api/diff?a=${state.base}&b=${sha}`) : Promise.resolve(null),
      state.base && state.mapB ? api(`/api/footprints?rev=${state.base}`) : Promise.resolve(null),
    ]);
    fp.features.forEach((f, i) => { f.id = i; });
    if (bfp) bfp.features.forEach((f, i) => { f.id = i; });
    if (diff?.geojson?.features) diff.geojson.features.forEach((f, i) => { f.id = i; });
    state.footprints = fp; state.diff = diff; state.baseFootprints = bfp;
    dataArrived();
    buildLayers(); redrawData(); drawDiff(); showDiffSummary(); drawTimeline();
    const c = state.counts;
    c.footprints = fp.features.length; c.rasters = fp.features.filter((f) => f.properties.kind === 'raster').length; c.vectors = c.footprints - c.rasters;
    // a new revision is shown whole; a new diff base or the split view keep the view
    if (fit) fitTo(state.map, bboxOf([...fp.features, ...(($('#show-diff').checked && diff?.geojson?.features) || [])]));
    const rl = (s) => { const r = state.revisions.find((x) => x.sha === s); return r ? `${r.short} ${r.subject}`.slice(0, 60) : '(none)'; };
    $('#label-a').textContent = `${rl(sha)}`; $('#label-b').textContent = `diff base: ${rl(state.base)}`;
    $('#label-a').hidden = $('#label-b').hidden = !state.mapB || $('#map-b').hidden;
    const miss = fp.missing?.length ? ` · ${fp.missing.length} path(s) not in the cache` : '';
    status(`${shortRev(sha)}: ${c.rasters} raster(s), ${c.vectors} vector feature(s) in ${c.layers} layer(s)${miss}`);
    await new Promise((r) => { state.map.once('idle', r); state.map.triggerRepaint(); });
    document.body.dataset.rev = sha; document.body.dataset.state = 'ready';
  } catch (e) { status(String(e.message || e), true); document.body.dataset.state = 'error'; }
}
function drawDiff() {
  const feats = ($('#show-diff').checked && state.diff?.geojson?.features) || [];
  const n = { added: 0, removed: 0, changed: 0 };
  for (const f of feats) { const s = f.properties.status; if (s in n) n[s]++; }
  for (const m of [state.map, state.mapB]) m?.getSource('diff')?.setData({ type: 'FeatureCollection', features: feats });
  Object.assign(state.counts, { diff: n.added + n.removed + n.changed, ...n });
  const ul = $('#diff-list'); ul.replaceChildren();
  ul.dataset.count = String(feats.length);
  feats.forEach((f) => {
    const p = f.properties;
    const cls = p.classNew ?? p.classOld;
    const li = el('li', { 'data-status': p.status, 'data-id': f.id, tabindex: 0 });
    li.append(el('span', { class: `badge ${p.status}` }, p.status), document.createTextNode(` ${p.file} #${p.new_feature ?? p.old_feature ?? f.id}${cls !== undefined ? ` (${p.classOld !== undefined && p.classNew !== undefined && p.classOld !== p.classNew ? `${p.classOld} → ${p.classNew}` : cls})` : ''}${p.changes ? ` · ${p.changes}` : ''}${p.iou !== undefined ? ` · IoU ${fmt(p.iou)}` : ''}`));
    const go = () => flyToChange(f.id);
    li.addEventListener('click', go); li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    ul.append(li);
  });
  drawLegend();
}
function flyToChange(id) {
  const f = state.diff?.geojson?.features?.[id]; if (!f) return;
  state.diffSelected = id; applySelection();
  for (const li of document.querySelectorAll('#diff-list li')) li.classList.toggle('selected', li.dataset.id === String(id));
  document.body.dataset.diffSelected = String(id);
  const bb = bboxOf([f]);
  const pad = Math.max((bb[2] - bb[0]), (bb[3] - bb[1])) * 1.5 || 0.01;
  fitTo(state.map, [bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad], 17, true);
}
function showDiffSummary() {
  const box = $('#diff-summary'); box.replaceChildren(); box.className = '';
  if (!state.diff) { box.className = 'muted'; box.textContent = state.base ? '—' : 'Pick a revision to diff against.'; return; }
  const s = state.diff.summary || {};
  const p = el('p', {}, `${shortRev(state.base)} → ${shortRev(state.rev)}: `); box.append(p);
  for (const [k, cls] of [['added', 'added'], ['removed', 'removed'], ['geometry', 'changed']]) p.append(el('span', { class: `badge ${cls}` }, `${s[k] || 0} ${k}`), document.createTextNode(' '));
  if (s.class || s.attributes) p.append(document.createTextNode(`${s.class || 0} class, ${s.attributes || 0} attribute change(s)`));
  const files = (state.diff.files || []).filter((f) => f.status !== 'byte-identical' && f.status !== 'identical');
  if (!files.length) box.append(el('p', { class: 'muted' }, 'no annotation file changed'));
}

// ---------- split view: the diff base on a second, synchronised map ----------
async function setSplit(on) {
  $('#map-b').hidden = !on; document.body.classList.toggle('split', on);
  if (on && !state.mapB) {
    state.mapB = createMap('map-b'); setupInteraction(state.mapB);
    let syncing = false;
    const sync = (from, to) => from.on('move', () => { if (syncing) return; syncing = true; to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() }); syncing = false; });
    sync(state.map, state.mapB); sync(state.mapB, state.map);
    await loaded(state.mapB);
  }
  state.map.resize(); state.mapB?.resize();
  $('#label-a').hidden = $('#label-b').hidden = !on;
  if (on) { state.mapB.jumpTo({ center: state.map.getCenter(), zoom: state.map.getZoom() }); await loadRevision(state.rev, state.base, { fit: false }); }
  document.body.dataset.split = on ? '1' : '0';
}

// ---------- experiments ----------
function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj || {})) { const key = prefix ? `${prefix}.${k}` : k; if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out); else out[key] = v; }
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
  const varies = (list, k) => new Set(list.map((o) => o[k]).filter((v) => typeof v === 'number')).size > 1;
  const pv = pk.find((k) => varies(rows.map((x) => x.p), k)), mv = mk.find((k) => varies(rows.map((x) => x.m), k));
  if (pv) $('#param').value = pv;
  if (mv) $('#metric').value = mv;
  const table = $('#exp-table'); table.replaceChildren();
  const allM = [...new Set(rows.flatMap((x) => Object.keys(x.m)))], allP = [...new Set(rows.flatMap((x) => Object.keys(x.p)))];
  // columns whose values differ between rows are marked (and come first)
  const differs = (k, get) => new Set(rows.map((x) => JSON.stringify(get(x)[k]))).size > 1;
  const cols = [...allM.map((k) => ({ k, get: (x) => x.m, kind: 'metric' })), ...allP.map((k) => ({ k, get: (x) => x.p, kind: 'param' }))]
    .map((c) => ({ ...c, diff: differs(c.k, c.get) })).sort((a, b) => Number(b.diff) - Number(a.diff));
  const thead = el('thead'); const head = el('tr');
  for (const h of [{ k: 'experiment' }, { k: 'rev' }, ...cols]) head.append(el('th', { class: `${h.kind || ''}${h.diff ? ' differs' : ''}`, title: h.kind || '' }, h.k));
  thead.append(head); table.append(thead);
  const tbody = el('tbody');
  for (const x of rows) {
    const tr = el('tr', { 'data-kind': x.r.kind });
    tr.append(el('td', {}, x.r.name), el('td', {}, x.r.rev === 'workspace' ? '' : shortRev(x.r.rev)));
    for (const c of cols) { const v = c.get(x)[c.k]; tr.append(el('td', { class: `${typeof v === 'number' ? 'num' : ''}${c.diff ? ' differs' : ''}` }, v === undefined ? '-' : fmt(v))); }
    tbody.append(tr);
  }
  table.append(tbody);
  state.counts.experiments = rows.filter((x) => x.r.kind === 'experiment').length;
  table.setAttribute('data-rows', rows.length); table.setAttribute('data-columns', cols.length + 2);
  drawPlot();
}
function niceTicks(lo, hi, n = 5) { if (lo === hi) { lo -= 1; hi += 1; } const step = 10 ** Math.floor(Math.log10((hi - lo) / n)); const s = [1, 2, 5, 10].map((m) => m * step).find((x) => (hi - lo) / x <= n) || step * 10; const t = []; for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-12; v += s) t.push(+v.toPrecision(12)); return { lo: Math.min(lo, t[0] ?? lo), hi: Math.max(hi, t[t.length - 1] ?? hi), t }; }
function drawPlot() {
  const svg = $('#exp-plot'); svg.replaceChildren();
  const metric = $('#metric').value, param = $('#param').value;
  const pts = expColumns().filter((x) => x.r.kind !== 'workspace' && typeof x.m[metric] === 'number' && typeof x.p[param] === 'number').map((x) => ({ name: x.r.name, kind: x.r.kind, x: x.p[param], y: x.m[metric] }));
  svg.setAttribute('data-points', pts.length); state.counts.points = pts.length;
  if (!pts.length) { svg.append(el('svgtext', { x: 180, y: 110, 'text-anchor': 'middle' }, metric && param ? 'no experiment has both values' : 'no numeric metrics/params')); return; }
  const W = 360, H = 220, m = { l: 58, r: 40, t: 18, b: 36 };
  const X = niceTicks(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)));
  const Y = niceTicks(Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y)));
  const sx = (v) => m.l + ((v - X.lo) / (X.hi - X.lo)) * (W - m.l - m.r), sy = (v) => H - m.b - ((v - Y.lo) / (Y.hi - Y.lo)) * (H - m.t - m.b);
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
function showTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const t of document.querySelectorAll('.tab')) t.hidden = t.id !== `tab-${name}`;
  document.body.dataset.tab = name;
}
async function main() {
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('#rev').addEventListener('change', (e) => loadRevision(e.target.value));
  $('#base').addEventListener('change', (e) => loadRevision(state.rev, e.target.value, { fit: false }));
  $('#show-diff').addEventListener('change', () => drawDiff());
  $('#split-view').addEventListener('change', (e) => setSplit(e.target.checked));
  for (const r of document.querySelectorAll('input[name=colour]')) r.addEventListener('change', (e) => { state.colour = e.target.value; redrawData(); });
  $('#bands').addEventListener('change', () => redrawData());
  $('#stretch').addEventListener('change', () => redrawData());
  $('#metric').addEventListener('change', drawPlot); $('#param').addEventListener('change', drawPlot);
  try {
    const [info, config, bm] = await Promise.all([api('/api/info'), api('/api/config'), api('/api/basemap.json')]);
    state.config = config; basemap = bm;
    state.revisions = info.revisions;
    document.title = `geodvc ui · ${info.root.split('/').pop()}`;
    state.map = createMap('map');
    setupInteraction(state.map);
    state.map.on('moveend', drawGraticule);
    state.map.on('resize', drawGraticule);
    await loaded(state.map);
    drawGraticule();
    fillRevisionPickers();
    // the map's data first: the timeline and the experiments table (git and `exp show` work in the
    // server) are asked for once the footprints have arrived
    const revP = state.revisions.length ? loadRevision(state.revisions[0].sha) : null;
    if (revP) await Promise.race([firstData, revP]);
    const expP = loadExperiments();
    api('/api/timeline').then((t) => { state.timeline = t; drawTimeline(); document.body.dataset.timeline = 'ready'; }, (e) => { $('#timeline').replaceChildren(el('li', { class: 'error' }, String(e.message || e))); });
    if (revP) await revP;
    else { status('no commit tracks data yet (git log -- "*.dvc" dvc.lock is empty)'); document.body.dataset.state = 'ready'; }
    await expP;
    document.body.dataset.experiments = 'ready';
  } catch (e) { status(String(e.message || e), true); document.body.dataset.state = 'error'; }
}
main();
