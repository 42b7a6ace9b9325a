/**
 * Reading COCO / Pascal VOC files and folders into the pixel model (pixel.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import { parseCoco } from './coco.js';
import { MAX_PIXEL_FILE_BYTES, mergeVoc, sniffPixelBytes, sniffPixelFile, type NamedPixelDataset, type PixelDataset } from './pixel.js';
import { parseVoc } from './voc.js';

export { sniffPixelFile } from './pixel.js';

/** Parses the bytes of a COCO or VOC file. */
export function parsePixelBytes(buf: Buffer, path: string, kind = sniffPixelBytes(buf, path)): PixelDataset {
  if (!kind) throw new InvalidFileError(`${path}: not a COCO instance JSON or Pascal VOC XML file`, { hint: 'COCO needs a JSON object with `images` and `annotations` arrays; VOC an <annotation> root element' });
  if (buf.length > MAX_PIXEL_FILE_BYTES) throw new InvalidFileError(`${path}: ${buf.length} bytes is more than the ${MAX_PIXEL_FILE_BYTES} bytes an annotation file may have`, { hint: 'split the dataset into several annotation files (e.g. one per split)' });
  const text = buf.toString('utf8');
  return kind === 'coco' ? parseCoco(text, path) : parseVoc(text, path);
}

/** Reads one COCO or VOC file; `path` names it in reports and errors. */
export function readPixelFile(abs: string, path = basename(abs)): PixelDataset {
  const kind = sniffPixelFile(abs);
  if (!kind) throw new InvalidFileError(`${path}: not a COCO instance JSON or Pascal VOC XML file`, { hint: 'COCO needs a JSON object with `images` and `annotations` arrays; VOC an <annotation> root element' });
  const size = statSync(abs).size;
  if (size > MAX_PIXEL_FILE_BYTES) throw new InvalidFileError(`${path}: ${size} bytes is more than the ${MAX_PIXEL_FILE_BYTES} bytes an annotation file may have`, { hint: 'split the dataset into several annotation files (e.g. one per split)' });
  return parsePixelBytes(readFileSync(abs), path, kind);
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git' || e.name === '.dvc') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && /\.(json|xml)$/i.test(e.name)) out.push(p);
  }
}

/**
 * The COCO/VOC files under a directory (sorted): each COCO file is one dataset; the VOC files of
 * the directory are merged into one dataset named after the directory (`voc:<dir>`), as a VOC
 * `Annotations/` folder is one dataset of one-image files.
 */
export function readPixelDir(absDir: string): NamedPixelDataset[] {
  const files: string[] = [];
  walk(absDir, files);
  files.sort();
  const out: NamedPixelDataset[] = [];
  const voc: PixelDataset[] = [];
  for (const f of files) {
    const kind = sniffPixelFile(f);
    if (!kind) continue;
    const rel = relative(absDir, f).split(sep).join('/');
    const ds = parsePixelBytes(readFileSync(f), rel, kind);
    if (kind === 'coco') out.push({ path: rel, dataset: ds });
    else voc.push(ds);
  }
  if (voc.length) out.push({ path: 'voc', dataset: mergeVoc(voc) });
  return out;
}

export function isDirectory(abs: string): boolean {
  try { return statSync(abs).isDirectory(); } catch { return false; }
}

/**
 * Compact metadata of a COCO / VOC file for a `.dvc` file's `meta` (add): format, counts as the
 * file states them, category names (sorted, at most 200). Throws InvalidFileError on broken input.
 */
export function pixelMeta(abs: string): Record<string, unknown> {
  const ds = readPixelFile(abs);
  const names = [...new Set(ds.categories.length ? ds.categories : ds.images.flatMap((im) => im.annotations.map((a) => a.category)))].sort();
  return {
    kind: 'annotation', format: ds.format, images: ds.counts.images, annotations: ds.counts.annotations, categories: ds.counts.categories,
    category_names: names.slice(0, 200), ...(names.length > 200 ? { category_names_truncated: true } : {}),
  };
}

/** For `add`'s cheap check (issue 21): why a COCO/VOC file cannot be read, [] when it can or is not one. */
export function pixelLabelProblems(abs: string): string[] {
  if (!sniffPixelFile(abs)) return [];
  try { readPixelFile(abs); return []; } catch (e) { return [`unreadable labels: ${(e as Error).message}`]; }
}
