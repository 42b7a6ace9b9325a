/**
 * A small, safe XML reader for annotation files (Pascal VOC): elements, attributes and text only.
 * Linear, non-recursive, no entity expansion beyond the five predefined entities and numeric
 * character references (a DOCTYPE with an internal subset or any other entity is refused, so no
 * "billion laughs" and no external entity reads), nesting limited to MAX_XML_DEPTH.
 * Errors are InvalidFileError naming the file, the line and the column (1-based).
 */
import { InvalidFileError } from '../../lib/errors.js';
import { MAX_XML_DEPTH } from '../raster/xml-guard.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside the element (entities decoded). */
  text: string;
  /** Character offset of the `<` of the start tag. */
  offset: number;
}

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1, last = -1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) { line++; last = i; }
  return { line, column: end - last };
}

export function xmlError(file: string, text: string, offset: number, message: string): InvalidFileError {
  const { line, column } = lineCol(text, offset);
  return new InvalidFileError(`${file}: not well-formed XML: ${message} at line ${line}, column ${column}`, {
    hint: 'the file is truncated, damaged or not XML; restore it from its source (e.g. `geodvc checkout`) or fix it',
    details: { file, line, column, offset },
  });
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string, file: string, text: string, base: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{0,32});?/g, (m, name: string, at: number) => {
    if (!m.endsWith(';')) throw xmlError(file, text, base + at, 'unterminated entity reference');
    if (name[0] === '#') {
      const cp = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) throw xmlError(file, text, base + at, `invalid character reference ${m}`);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[name];
    if (v === undefined) throw xmlError(file, text, base + at, `undefined entity ${m} (only the predefined XML entities are read)`);
    return v;
  });
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

/** Parses `text` into its root element. */
export function parseXml(text: string, file: string, maxDepth = MAX_XML_DEPTH): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? n : lt);
    if (chunk.length) {
      const top = stack[stack.length - 1];
      if (top) top.text += decode(chunk, file, text, i);
      else if (chunk.trim()) throw xmlError(file, text, i + chunk.search(/\S/), 'text outside the root element');
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const e = text.indexOf('-->', lt + 4);
      if (e < 0) throw xmlError(file, text, lt, 'unterminated comment');
      i = e + 3; continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const e = text.indexOf(']]>', lt + 9);
      if (e < 0) throw xmlError(file, text, lt, 'unterminated CDATA section');
      const top = stack[stack.length - 1];
      if (!top) throw xmlError(file, text, lt, 'CDATA outside the root element');
      top.text += text.slice(lt + 9, e);
      i = e + 3; continue;
    }
    if (text.startsWith('<?', lt)) {
      const e = text.indexOf('?>', lt + 2);
      if (e < 0) throw xmlError(file, text, lt, 'unterminated processing instruction');
      i = e + 2; continue;
    }
    if (text.startsWith('<!', lt)) {
      const head = text.slice(lt, lt + 4096);
      if (/^<!ENTITY/i.test(head) || /^<!DOCTYPE[^>]*\[/i.test(head)) throw xmlError(file, text, lt, 'DOCTYPE with an internal subset (entity declarations) is not accepted');
      const e = text.indexOf('>', lt + 2);
      if (e < 0) throw xmlError(file, text, lt, 'unterminated declaration');
      i = e + 1; continue;
    }
    // a tag: find its end outside quoted attribute values
    let j = lt + 1, quote = 0;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (quote) { if (c === quote) quote = 0; } else if (c === 34 || c === 39) quote = c; else if (c === 62) break; else if (c === 60) throw xmlError(file, text, j, `'<' inside the tag opened at column ${lineCol(text, lt).column}`);
    }
    if (j >= n) throw xmlError(file, text, lt, 'unexpected end of file inside a tag (truncated?)');
    const closing = text.charCodeAt(lt + 1) === 47;
    const body = text.slice(closing ? lt + 2 : lt + 1, j);
    const m = NAME.exec(body);
    if (!m) throw xmlError(file, text, lt, 'tag without a valid name');
    const name = m[0];
    if (closing) {
      if (body.slice(name.length).trim()) throw xmlError(file, text, lt, `unexpected content in the closing tag </${name}>`);
      const top = stack.pop();
      if (!top) throw xmlError(file, text, lt, `closing </${name}> without an opening tag`);
      if (top.name !== name) {
        const p = lineCol(text, top.offset);
        throw xmlError(file, text, lt, `closing </${name}> does not match <${top.name}> opened at line ${p.line}, column ${p.column}`);
      }
      i = j + 1; continue;
    }
    const selfClosing = text.charCodeAt(j - 1) === 47;
    const attrText = body.slice(name.length, selfClosing ? body.length - 1 : body.length);
    const attrs: Record<string, string> = {};
    const re = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')|\s*(\S)/g;
    for (let a = re.exec(attrText); a; a = re.exec(attrText)) {
      if (a[5]) throw xmlError(file, text, lt + 1 + name.length + a.index, `malformed attribute in <${name}>`);
      attrs[a[1]!] = decode(a[3] ?? a[4] ?? '', file, text, lt);
    }
    const el: XmlElement = { name, attrs, children: [], text: '', offset: lt };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw xmlError(file, text, lt, `a second root element <${name}>`);
    else root = el;
    if (!selfClosing) {
      stack.push(el);
      if (stack.length > maxDepth) throw xmlError(file, text, lt, `elements nested more than ${maxDepth} deep`);
    }
    i = j + 1;
  }
  const open = stack[stack.length - 1];
  if (open) {
    const p = lineCol(text, open.offset);
    throw xmlError(file, text, n, `unexpected end of file: <${open.name}> opened at line ${p.line}, column ${p.column} is never closed (truncated?)`);
  }
  if (!root) throw xmlError(file, text, 0, 'no root element');
  return root;
}

/** First child element named `name`. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Trimmed text of the first child named `name`. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text.trim() : undefined;
}
