/**
 * A linear, non-recursive structure check of an XML document before the regex-based readers (VRT,
 * GDAL_METADATA) look at it: element nesting deeper than a limit, unclosed or mismatched elements
 * and unterminated tags are refused with an InvalidFileError naming the file and the byte offset.
 * The regexes after it then only ever see balanced documents (an unclosed `<VRTRasterBand>` repeated
 * 100,000 times made them quadratic: 47 s), and nothing recursive sees a 1e6-deep document.
 */
import { InvalidFileError } from '../../lib/errors.js';

/** Deepest element nesting accepted (a GDAL VRT nests about 6 levels). */
export const MAX_XML_DEPTH = 100;

export interface XmlProblem { message: string; offset: number }

/** The first structural problem of `xml`, or undefined when it is well nested. */
export function xmlStructureProblem(xml: string, maxDepth = MAX_XML_DEPTH): XmlProblem | undefined {
  const stack: { name: string; at: number }[] = [];
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt + 4);
      if (e < 0) return { message: 'unterminated comment', offset: lt };
      i = e + 3; continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt + 9);
      if (e < 0) return { message: 'unterminated CDATA section', offset: lt };
      i = e + 3; continue;
    }
    if (xml.startsWith('<?', lt)) {
      const e = xml.indexOf('?>', lt + 2);
      if (e < 0) return { message: 'unterminated processing instruction', offset: lt };
      i = e + 2; continue;
    }
    if (xml.startsWith('<!', lt)) {
      if (/^<!ENTITY/i.test(xml.slice(lt, lt + 8)) || /^<!DOCTYPE[^>]*\[/i.test(xml.slice(lt, lt + 256))) return { message: 'DOCTYPE with an internal subset (entity declarations) is not accepted', offset: lt };
      const e = xml.indexOf('>', lt + 2);
      if (e < 0) return { message: 'unterminated declaration', offset: lt };
      i = e + 1; continue;
    }
    // a tag: find its end outside quoted attribute values
    let j = lt + 1;
    let quote = 0;
    for (; j < n; j++) {
      const c = xml.charCodeAt(j);
      if (quote) { if (c === quote) quote = 0; } else if (c === 34 || c === 39) quote = c; else if (c === 62) break;
    }
    if (j >= n) return { message: 'unterminated tag', offset: lt };
    const closing = xml.charCodeAt(lt + 1) === 47;
    const m = /^[^\s/>]+/.exec(xml.slice(closing ? lt + 2 : lt + 1, Math.min(j, lt + 258)));
    const name = m?.[0] ?? '';
    if (!name) return { message: 'tag without a name', offset: lt };
    if (closing) {
      const top = stack.pop();
      if (!top) return { message: `closing </${name}> without an opening tag`, offset: lt };
      if (top.name !== name) return { message: `closing </${name}> does not match <${top.name}> opened at offset ${top.at}`, offset: lt };
    } else if (xml.charCodeAt(j - 1) !== 47) {
      stack.push({ name, at: lt });
      if (stack.length > maxDepth) return { message: `elements nested more than ${maxDepth} deep`, offset: lt };
    }
    i = j + 1;
  }
  const open = stack.pop();
  if (open) return { message: `<${open.name}> opened at offset ${open.at} is never closed (truncated XML?)`, offset: open.at };
  return undefined;
}

/** Throws InvalidFileError naming `file` when `xml` is not well nested (see `xmlStructureProblem`). */
export function assertXmlStructure(xml: string, file: string, what = 'XML', maxDepth = MAX_XML_DEPTH): void {
  const p = xmlStructureProblem(xml, maxDepth);
  if (p) throw new InvalidFileError(`${file}: ${what} is malformed: ${p.message} (character offset ${p.offset})`, { hint: 'the file is truncated, damaged or crafted; regenerate it (e.g. gdalbuildvrt) or fix the XML', details: { offset: p.offset } });
}
