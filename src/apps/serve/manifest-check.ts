/**
 * Streaming validation of a `.dir` manifest as it is uploaded: the bytes must be one JSON list of
 * objects, each with a `relpath` that cannot leave the directory it is checked out into (see
 * `checkRelpath`). Memory stays bounded whatever the manifest's size: a character-level JSON
 * tokenizer keeps only its container stack, the current key (at entry level) and the current
 * `relpath` value (at most 4 KiB + 1, longer is refused anyway). A 500 MB manifest costs no more
 * memory than a 5 KB one (JSON.parse of it took ~1.4 GB per upload).
 */
import { checkRelpath } from '../../lib/safepath.js';

const MAX_DEPTH = 256;
const MAX_RELPATH = 4097;
const MAX_NUMBER = 1000;

const STR_SPECIAL = /["\\\u0000-\u001f]/g;
const NUM_RUN = /[0-9eE+\-.]*/y;
const LIT_RUN = /[a-z]*/y;

const enum S { Value, AfterValue, KeyOrEnd, Key, Colon, Str, Num, Lit, Done }

export class ManifestChecker {
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private stack: ('a' | 'o')[] = [];
  private state: S = S.Value;
  /** Set once a problem is found: nothing more is examined. */
  problem: string | undefined;
  private entry = -1;
  private relpathSeen = false;
  // string being read
  private strIsKey = false;
  private strCapture = false;
  private strBuf: string[] = [];
  private strLen = 0;
  private esc = 0; // 0 none, 1 after backslash, 2..5 reading \u hex digits
  private hex = '';
  private key = '';
  private valueIsRelpath = false;
  private token = '';
  private afterEmptyOpen = false;

  /** Feeds the next chunk of the manifest. */
  push(chunk: Uint8Array): void {
    if (this.problem) return;
    this.scan(this.decoder.decode(chunk, { stream: true }));
  }

  /** Ends the input; returns the problem or undefined when the manifest is acceptable. */
  end(): string | undefined {
    if (!this.problem) this.scan(this.decoder.decode());
    if (this.problem) return this.problem;
    if (this.state === S.Num || this.state === S.Lit) this.finishToken();
    if (!this.problem && this.state !== S.Done) this.problem = this.stack.length === 0 && this.state === S.Value && this.entry < 0 ? 'not valid JSON' : 'not valid JSON (truncated)';
    return this.problem;
  }

  private invalid(): void { this.problem = 'not valid JSON'; }

  private entryProblem(value: unknown, why: string): void {
    this.problem = `entry ${this.entry} relpath ${JSON.stringify(String(value)).slice(0, 120)} ${why}`;
  }

  private checkRelpathValue(value: unknown): void {
    const why = checkRelpath(value);
    if (why && why !== 'contains a control character') this.entryProblem(value, why);
  }

  /** A value (of any kind) is about to start at the current position. */
  private beginValue(): boolean {
    const depth = this.stack.length;
    if (depth === 0 && this.entry >= 0) { this.invalid(); return false; }
    if (depth === 1) { this.entry++; this.relpathSeen = false; }
    return true;
  }

  private valueDone(): void {
    this.valueIsRelpath = false;
    this.state = this.stack.length === 0 ? S.Done : S.AfterValue;
  }

  private finishToken(): void {
    const t = this.token;
    this.token = '';
    if (this.state === S.Lit) {
      if (t !== 'true' && t !== 'false' && t !== 'null') { this.invalid(); return; }
      if (this.stack.length === 1 || this.stack.length === 0) { this.problem = this.stack.length === 0 ? 'not a JSON list' : `entry ${this.entry} is not an object`; return; }
      if (this.valueIsRelpath) { this.checkRelpathValue(t === 'null' ? null : t === 'true'); if (this.problem) return; }
    } else {
      if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)) { this.invalid(); return; }
      if (this.stack.length === 1 || this.stack.length === 0) { this.problem = this.stack.length === 0 ? 'not a JSON list' : `entry ${this.entry} is not an object`; return; }
      if (this.valueIsRelpath) { this.checkRelpathValue(Number(t)); if (this.problem) return; }
    }
    this.valueDone();
  }

  private scan(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (this.problem) return;
      const c = text.charCodeAt(i);
      switch (this.state) {
        case S.Str: {
          if (this.esc === 1) {
            this.esc = 0;
            const m = ({ 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' } as Record<number, string>)[c];
            if (m !== undefined) this.addChar(m);
            else if (c === 0x75) { this.esc = 2; this.hex = ''; }
            else { this.invalid(); return; }
            continue;
          }
          if (this.esc >= 2) {
            if (!/[0-9a-fA-F]/.test(text[i]!)) { this.invalid(); return; }
            this.hex += text[i];
            if (this.hex.length === 4) { this.esc = 0; this.addChar(String.fromCharCode(parseInt(this.hex, 16))); }
            continue;
          }
          if (c === 0x5c) { this.esc = 1; continue; }
          if (c === 0x22) { this.endString(); continue; }
          if (c < 0x20) { this.invalid(); return; }
          // a run of plain characters at once (native scan)
          STR_SPECIAL.lastIndex = i;
          const j = STR_SPECIAL.exec(text) ? STR_SPECIAL.lastIndex - 1 : text.length;
          if (this.strCapture) this.addChar(text.slice(i, j));
          i = j - 1;
          continue;
        }
        case S.Num: case S.Lit: {
          const re = this.state === S.Num ? NUM_RUN : LIT_RUN;
          re.lastIndex = i;
          re.exec(text);
          const j = re.lastIndex;
          if (j > i) {
            this.token += text.slice(i, j);
            if (this.token.length > MAX_NUMBER) { this.invalid(); return; }
            i = j - 1; // at the chunk's end the token may go on in the next chunk
            continue;
          }
          this.finishToken();
          if (this.problem) return;
          i--; // re-read this character in the new state
          continue;
        }
        default: break;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      const ch = text[i]!;
      switch (this.state) {
        case S.Done: this.invalid(); return;
        case S.Value: {
          if (ch === ']' && this.afterEmptyOpen) { this.afterEmptyOpen = false; this.close('a'); continue; }
          this.afterEmptyOpen = false;
          if (!this.beginValue()) return;
          const depth = this.stack.length;
          if (depth === 0 && ch !== '[') { this.problem = /[{"tfn0-9-]/.test(ch) ? 'not a JSON list' : 'not valid JSON'; return; }
          if (depth === 1 && ch !== '{') { this.problem = /["\[tfn0-9-]/.test(ch) ? `entry ${this.entry} is not an object` : 'not valid JSON'; return; }
          if (this.valueIsRelpath && ch !== '"') {
            // an object/array/number/literal relpath: not a string
            if (ch === '{' || ch === '[') { this.checkRelpathValue(ch === '{' ? {} : []); return; }
          }
          if (ch === '[' || ch === '{') {
            if (this.stack.length >= MAX_DEPTH) { this.problem = `nested deeper than ${MAX_DEPTH} levels`; return; }
            this.stack.push(ch === '[' ? 'a' : 'o');
            this.valueIsRelpath = false;
            if (ch === '[') { this.state = S.Value; this.afterEmptyOpen = true; } else this.state = S.KeyOrEnd;
            continue;
          }
          if (ch === '"') { this.startString(false, this.valueIsRelpath); continue; }
          if (ch === '-' || (c >= 0x30 && c <= 0x39)) { this.state = S.Num; this.token = ch; continue; }
          if (ch === 't' || ch === 'f' || ch === 'n') { this.state = S.Lit; this.token = ch; continue; }
          this.invalid(); return;
        }
        case S.AfterValue: {
          const top = this.stack[this.stack.length - 1]!;
          if (ch === ',') { this.state = top === 'a' ? S.Value : S.Key; continue; }
          if ((ch === ']' && top === 'a') || (ch === '}' && top === 'o')) { this.close(top); continue; }
          this.invalid(); return;
        }
        case S.KeyOrEnd: {
          if (ch === '}') { this.close('o'); continue; }
          if (ch === '"') { this.startString(true, this.stack.length === 2); continue; }
          this.invalid(); return;
        }
        case S.Key: {
          if (ch === '"') { this.startString(true, this.stack.length === 2); continue; }
          this.invalid(); return;
        }
        case S.Colon: {
          if (ch !== ':') { this.invalid(); return; }
          this.valueIsRelpath = this.stack.length === 2 && this.key === 'relpath';
          if (this.valueIsRelpath) this.relpathSeen = true;
          this.state = S.Value;
          continue;
        }
        default: this.invalid(); return;
      }
    }
  }

  private close(kind: 'a' | 'o'): void {
    this.stack.pop();
    if (kind === 'o' && this.stack.length === 1 && !this.relpathSeen) { this.checkRelpathValue(undefined); if (this.problem) return; }
    this.valueDone();
  }

  private startString(isKey: boolean, capture: boolean): void {
    this.state = S.Str;
    this.strIsKey = isKey;
    this.strCapture = capture;
    this.strBuf = [];
    this.strLen = 0;
    this.esc = 0;
  }

  private addChar(s: string): void {
    if (!this.strCapture) return;
    const limit = this.strIsKey ? 16 : MAX_RELPATH;
    if (this.strLen + s.length > limit) { s = s.slice(0, Math.max(0, limit - this.strLen)); }
    this.strLen += s.length;
    if (s) this.strBuf.push(s);
    if (this.strLen >= limit && this.strIsKey) this.strCapture = false; // longer than any key we look for
  }

  private endString(): void {
    const s = this.strBuf.join('');
    this.strBuf = [];
    if (this.strIsKey) {
      this.key = this.strCapture ? s : '';
      this.state = S.Colon;
      return;
    }
    if (this.valueIsRelpath) { this.checkRelpathValue(this.strLen >= MAX_RELPATH ? s + 'x' : s); if (this.problem) return; }
    this.valueDone();
  }
}

/** The problem of a whole manifest in memory (see ManifestChecker), or undefined. */
export function manifestProblemOf(bytes: Uint8Array): string | undefined {
  const c = new ManifestChecker();
  c.push(bytes);
  return c.end();
}
