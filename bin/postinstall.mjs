#!/usr/bin/env node
/**
 * After install: trims two native dependencies to what they load on this machine.
 *
 * - koffi (FFI, for the system's libxxhash) ships its addon for 21 platforms (~26 MB); once it
 *   loads here, the folders of the other platforms are removed.
 * - the optional native GDAL engine (gdal-async), see below.
 *
 * gdal-async's npm tarball carries the full sources of GDAL, PROJ, HDF5, netCDF and curl under
 * `deps/` (~220 MB) so that it can compile them when no prebuilt binary fits. Once its binding is
 * in place (downloaded prebuilt, or built against the system GDAL with --shared_gdal), only a few
 * data folders under `deps/` are read: GDAL's data, PROJ's data, GRIB tables and curl's CA bundle.
 * This removes the rest, which brings a full install of geodvc with the native engine from ~430 MB
 * to ~220 MB.
 *
 * Set GEODVC_KEEP_GDAL_SOURCES=1 to keep everything (e.g. a node_modules shared between machines of
 * different platforms).
 *
 * Never fails the install: any problem leaves the files as they are. GEODVC_KEEP_GDAL_SOURCES=1 also
 * keeps gdal-async's sources (to run `npm rebuild gdal-async --build-from-source` later).
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

/** Paths under gdal-async/deps that gdal-async reads at run time (lib/gdal.js). */
const KEEP = [
  'libgdal/gdal/data',
  'libproj/proj/data',
  'libgdal/gdal/frmts/grib/data',
  'libcurl/cacert.pem',
];

function bindingBuilt(root) {
  if (existsSync(join(root, 'build', 'Release', 'gdal.node'))) return true;
  const dir = join(root, 'lib', 'binding');
  try { return readdirSync(dir).some((d) => existsSync(join(dir, d, 'gdal.node'))); } catch { return false; }
}

/** Removes everything under `dir` that is neither a kept path nor on the way to one. */
function prune(depsDir, dir) {
  let freed = 0;
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const rel = relative(depsDir, abs).split(sep).join('/');
    if (KEEP.includes(rel)) continue;
    if (KEEP.some((k) => k.startsWith(`${rel}/`))) { freed += prune(depsDir, abs); continue; }
    if (VERBOSE) { try { freed += sizeOf(abs); } catch { /* size is informative only */ } }
    rmSync(abs, { recursive: true, force: true });
  }
  return freed;
}

/** Sizes are walked only for the --verbose message (a walk of ~190 MB of sources otherwise). */
const VERBOSE = process.argv.includes('--verbose');

function sizeOf(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(p)) n += sizeOf(join(p, e));
  return n;
}

/** Keeps only the koffi addon folder this machine loaded (and its glibc/musl twin). */
function pruneKoffi(req) {
  let root;
  try { root = dirname(req.resolve('koffi/package.json')); } catch { return 0; }
  const builds = join(root, 'build', 'koffi');
  if (!existsSync(builds)) return 0;
  try { req('koffi'); } catch { return 0; }
  const loaded = Object.keys(req.cache).find((k) => k.endsWith('.node') && k.startsWith(builds + sep));
  if (!loaded) return 0;
  const triplet = relative(builds, loaded).split(sep)[0];
  const keep = new Set([triplet, triplet.replace(/^linux_/, 'musl_'), triplet.replace(/^musl_/, 'linux_')]);
  let freed = 0;
  for (const d of readdirSync(builds)) {
    if (keep.has(d)) continue;
    if (VERBOSE) { try { freed += sizeOf(join(builds, d)); } catch { /* informative only */ } }
    rmSync(join(builds, d), { recursive: true, force: true });
  }
  return freed;
}

function main() {
  if (process.env.GEODVC_KEEP_GDAL_SOURCES) return;
  const req = createRequire(import.meta.url);
  let freed = 0;
  try { freed += pruneKoffi(req); } catch { /* keep koffi as installed */ }
  let root;
  try {
    root = dirname(req.resolve('gdal-async/package.json'));
    const deps = join(root, 'deps');
    if (existsSync(deps) && bindingBuilt(root)) freed += prune(deps, deps);
  } catch { /* keep gdal-async as installed */ }
  if (freed > 0 && VERBOSE) console.log(`geodvc: removed ${(freed / 2 ** 20).toFixed(0)} MB (gdal-async build sources, koffi addons of other platforms)`);
}

try { main(); } catch { /* never fail an install over disk space */ }
