/**
 * Bounded YAML loading for untrusted files (`.dvc`, `dvc.yaml`, `dvc.lock`, params, STAC YAML).
 *
 * - `parseYamlSafe(text, {filename})` -> plain JS value (null | boolean | number | string | array |
 *   plain object), or throws `InvalidFileError` (code `invalid-file`) with a hint.
 * - `parseYamlDocumentSafe(text, {filename})` -> a `yaml` Document for round-trip edits that keep
 *   comments/order (as DVC does for dvc.yaml), validated with the same bounds.
 *
 * Bounds (all overridable): input size (`maxBytes`, 64 MiB), alias expansions (`maxAliasCount`,
 * 100: a "billion laughs" file is refused instead of expanding), nesting depth (`maxDepth`, 256),
 * duplicate keys refused, tags that produce non-JSON values (`!!binary`, `!!set`, unknown tags)
 * refused. Warnings from the `yaml` package never reach the process (no `process.emitWarning`).
 */
import { parseDocument, type Document, YAMLParseError } from 'yaml';
import { InvalidFileError } from './errors.js';

export interface SafeYamlOptions {
  /** Shown in error messages (e.g. "dvc.yaml"). */
  filename?: string;
  /** Maximum number of alias nodes resolved while converting (yaml's `maxAliasCount`), default 100. */
  maxAliasCount?: number;
  /** Maximum input length in UTF-16 code units, default 64 MiB. */
  maxBytes?: number;
  /** Maximum nesting depth of collections, default 256. */
  maxDepth?: number;
  /** Allow duplicate keys (last wins). Default false: refused, as DVC's ruamel loader does. */
  allowDuplicateKeys?: boolean;
}

const DEFAULTS = { maxAliasCount: 100, maxBytes: 64 * 1024 * 1024, maxDepth: 256 };

function fail(name: string, why: string, cause?: unknown): InvalidFileError {
  return new InvalidFileError(`unable to read '${name}': ${why}`, {
    cause,
    hint: `fix the YAML syntax of '${name}' (it may be corrupt or crafted)`,
    details: { file: name },
  });
}

/** Cheap pre-scan: the maximum bracket/indent nesting cannot be measured exactly without parsing,
 * but unbalanced flow-collection depth is the cause of parser stack exhaustion. */
function flowDepth(text: string): number {
  let d = 0;
  let max = 0;
  let inQuote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c && inQuote === '"') { i++; continue; }
      if (text[i] === inQuote) inQuote = undefined;
      continue;
    }
    if (c === 0x22 || c === 0x27) {
      // quotes only start a scalar after a delimiter; good enough as an upper-bound guard
      const p = i > 0 ? text[i - 1] : ' ';
      if (p === ' ' || p === '[' || p === '{' || p === ',' || p === ':' || p === '\n' || p === '\t' || p === '-') inQuote = text[i];
      continue;
    }
    if (c === 0x23) { // comment to end of line
      const p = i > 0 ? text[i - 1] : ' ';
      if (p === ' ' || p === '\n' || p === '\t') { const nl = text.indexOf('\n', i); if (nl < 0) break; i = nl; }
      continue;
    }
    if (c === 0x5b || c === 0x7b) { d++; if (d > max) max = d; }
    else if ((c === 0x5d || c === 0x7d) && d > 0) d--;
  }
  return max;
}

function checkPlain(value: unknown, name: string, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') continue;
    if (typeof v === 'bigint') throw fail(name, 'an integer is too large');
    if (depth >= maxDepth) throw fail(name, `nesting deeper than ${maxDepth} levels`);
    if (Array.isArray(v)) { for (const x of v) stack.push([x, depth + 1]); continue; }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const x of Object.values(v as Record<string, unknown>)) stack.push([x, depth + 1]);
      continue;
    }
    const kind = v instanceof Uint8Array ? 'binary data (!!binary)' : v instanceof Map ? 'a map with non-string keys' : v instanceof Set ? 'a set (!!set)' : v instanceof Date ? 'a timestamp' : typeof v;
    throw fail(name, `unsupported value: ${kind}`);
  }
}

function load(text: string, opts: SafeYamlOptions): { doc: Document; value: unknown } {
  const name = opts.filename ?? 'YAML file';
  if (typeof text !== 'string') throw fail(name, 'not text');
  const maxBytes = opts.maxBytes ?? DEFAULTS.maxBytes;
  if (text.length > maxBytes) throw fail(name, `larger than ${maxBytes} bytes`);
  const maxDepth = opts.maxDepth ?? DEFAULTS.maxDepth;
  if (flowDepth(text) > maxDepth) throw fail(name, `nesting deeper than ${maxDepth} levels`);
  let doc: Document;
  try {
    doc = parseDocument(text, { uniqueKeys: !opts.allowDuplicateKeys, logLevel: 'silent', prettyErrors: true, merge: true, strict: true });
  } catch (err) {
    throw fail(name, err instanceof RangeError ? 'nesting too deep' : String((err as Error)?.message ?? err).split('\n')[0]!, err);
  }
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0]! : String(e);
    throw fail(name, /call stack/i.test(msg) ? 'nesting too deep' : msg, e);
  }
  if (doc.warnings.some((w) => w.code === 'TAG_RESOLVE_FAILED')) throw fail(name, 'unknown YAML tag');
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: opts.maxAliasCount ?? DEFAULTS.maxAliasCount, mapAsMap: false });
  } catch (err) {
    const m = String((err as Error)?.message ?? err);
    if (/alias/i.test(m)) throw fail(name, `too many alias expansions (more than ${opts.maxAliasCount ?? DEFAULTS.maxAliasCount})`, err);
    if (err instanceof RangeError) throw fail(name, 'nesting too deep', err);
    throw fail(name, m.split('\n')[0]!, err);
  }
  checkPlain(value, name, maxDepth);
  return { doc, value };
}

/** Parses untrusted YAML into a plain JSON-like value, within bounds; throws InvalidFileError. */
export function parseYamlSafe(text: string, opts: SafeYamlOptions = {}): unknown {
  return load(text, opts).value;
}

/** Like parseYamlSafe but returns the `yaml` Document (comments and order kept for round trips). */
export function parseYamlDocumentSafe(text: string, opts: SafeYamlOptions = {}): Document {
  return load(text, opts).doc;
}
