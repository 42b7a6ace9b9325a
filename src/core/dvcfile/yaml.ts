/**
 * YAML output in the style of DVC's ruamel round-trip dumper (dvc-formats.md §2): block style,
 * mapping indent 2, sequence dashes at the column of the parent key (`- ` not indented), width 80,
 * single quotes when quoting is needed, flow collections as `{k: v}` / `[a, b]`, UTF-8 kept, a
 * trailing newline. Comments and key order of an existing document survive `updateYamlDocument`.
 */
import { Document, isMap, isSeq, stringify, YAMLMap, type ToStringOptions } from 'yaml';
import { parseYamlDocumentSafe } from '../../lib/safeyaml.js';

export const DVC_YAML_OPTIONS: ToStringOptions = {
  indent: 2,
  indentSeq: false,
  lineWidth: 80,
  minContentWidth: 20,
  singleQuote: true,
  flowCollectionPadding: false,
};

/** Serializes a plain value as DVC would write a new file. */
export function dumpYaml(value: unknown): string {
  return stringify(value, DVC_YAML_OPTIONS);
}

/** Parses text into a Document for round-trip edits (bounded, duplicate keys refused). */
export function parseYamlDocument(text: string, filename: string): Document {
  return parseYamlDocumentSafe(text, { filename });
}

export function documentToString(doc: Document): string {
  return doc.toString(DVC_YAML_OPTIONS);
}

/**
 * Applies `next` onto the map node `node` the way DVC's `apply_diff` does: keys whose value
 * changed are replaced in place, keys missing from `next` are removed (only those listed in
 * `managed`), new keys are appended, everything else (comments, user keys, order) is kept.
 */
export function applyMapDiff(doc: Document, node: YAMLMap, next: Record<string, unknown>, managed: readonly string[]): void {
  for (const key of managed) {
    if (!(key in next) && node.has(key)) node.delete(key);
  }
  for (const [key, value] of Object.entries(next)) {
    const cur = node.get(key, true);
    const curJs = cur && typeof (cur as { toJSON?: unknown }).toJSON === 'function' ? (cur as { toJSON(): unknown }).toJSON() : (cur as { value?: unknown } | undefined)?.value ?? cur;
    if (node.has(key) && JSON.stringify(curJs) === JSON.stringify(value)) continue;
    if (node.has(key) && (isMap(cur) || isSeq(cur)) && JSON.stringify(curJs) === JSON.stringify(value)) continue;
    node.set(key, doc.createNode(value));
  }
}
