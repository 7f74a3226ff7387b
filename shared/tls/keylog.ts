/**
 * NSS key-log files (SSLKEYLOGFILE; the format of NSS, OpenSSL, BoringSSL, Node's `keylog`
 * event and pcapng Decryption Secrets Blocks): one `LABEL <client_random hex> <secret hex>`
 * per line. Tolerant: comments, blank lines and malformed lines are counted, never fatal.
 * Appending (a browser writes as it goes) is supported by feeding text incrementally.
 */

export const KEYLOG_LABELS = [
  'CLIENT_RANDOM',
  'CLIENT_EARLY_TRAFFIC_SECRET',
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'SERVER_TRAFFIC_SECRET_0',
  'EXPORTER_SECRET',
  'EARLY_EXPORTER_SECRET',
] as const;
export type KeyLogLabel = (typeof KEYLOG_LABELS)[number];

const KNOWN = new Set<string>(KEYLOG_LABELS);
const HEX_LINE = /^([0-9a-fA-F]{2})+$/;
const CLIENT_RANDOM_HEX = /^[0-9a-fA-F]{64}$/;

export interface KeyLogCounts {
  /** Secret lines accepted (a repeated identical line counts once). */
  secrets: number;
  /** Distinct client randoms with at least one secret. */
  clients: number;
  comments: number;
  blank: number;
  /** Lines that are not `LABEL hex hex` with a 32-byte client random. */
  bad: number;
  /** Well-formed lines with a label we do not use (e.g. RSA, or a future one). */
  unknownLabels: number;
}

const nibble = (code: number): number => (code <= 57 ? code - 48 : (code | 0x20) - 87);

/** A hex digit's value, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The hex value of each character code below 256, or -1. */
const HEX_DIGITS = Int8Array.from({ length: 256 }, (_, code) => hexValue(code));

/** Hex text (already checked to be hex) to bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return out;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_BYTES[bytes[i]];
  return s;
}

/** Secrets by client random (lower-case hex) and label. */
export class KeyLog {
  private readonly byClient = new Map<string, Map<KeyLogLabel, Uint8Array>>();
  /** Lines (label, client random, secret hex) whose secret another replaced: see `add`. */
  private readonly replaced = new Set<string>();
  private partial = '';
  readonly counts: KeyLogCounts = { secrets: 0, clients: 0, comments: 0, blank: 0, bad: 0, unknownLabels: 0 };
  /** Bumped whenever a secret is added, so a consumer can retry what lacked keys. */
  generation = 0;

  /** Parses a whole file's text. */
  static parse(text: string): KeyLog {
    const log = new KeyLog();
    log.append(text);
    log.end();
    return log;
  }

  /** Adds text; a last line without its newline waits for the next call (or `end`). */
  append(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.addLine(line);
  }

  /** Takes a trailing line that has no newline. */
  end(): void {
    if (this.partial !== '') this.addLine(this.partial);
    this.partial = '';
  }

  /** Merges another log's secrets (e.g. a pcapng DSB into a key-log file's). */
  merge(other: KeyLog): void {
    for (const [client, secrets] of other.byClient) for (const [label, secret] of secrets) this.add(client, label, secret);
  }

  get(clientRandomHex: string, label: KeyLogLabel): Uint8Array | undefined {
    return this.byClient.get(clientRandomHex)?.get(label);
  }

  has(clientRandomHex: string): boolean {
    return this.byClient.has(clientRandomHex);
  }

  get size(): number {
    return this.counts.secrets;
  }

  /** The log again as NSS text (for a pcapng DSB), one line per secret. */
  toText(): string {
    let text = '';
    for (const [client, secrets] of this.byClient) for (const [label, secret] of secrets) text += `${label} ${client} ${bytesToHex(secret)}\n`;
    return text;
  }

  private addLine(raw: string): void {
    const line = raw.trim();
    if (line === '') {
      this.counts.blank++;
      return;
    }
    if (line.charCodeAt(0) === 0x23 /* # */) {
      this.counts.comments++;
      return;
    }
    if (!this.addWellFormedLine(line)) this.addOtherLine(line);
  }

  /**
   * The common line (a known label, single spaces, the right lengths), read without splitting
   * or regular expressions: a browser's log has thousands. Returns false for anything else,
   * which `addOtherLine` then judges.
   */
  private addWellFormedLine(line: string): boolean {
    const firstSpace = line.indexOf(' ');
    const secondSpace = firstSpace < 0 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (secondSpace !== firstSpace + 65) return false; // a 32-byte client random is 64 hex digits
    const label = line.slice(0, firstSpace);
    if (!KNOWN.has(label)) return false;
    const secretLength = (line.length - secondSpace - 1) / 2;
    if (!(label === 'CLIENT_RANDOM' ? secretLength === 48 : secretLength === 32 || secretLength === 48)) return false;
    const client = line.slice(firstSpace + 1, secondSpace);
    if (!CLIENT_RANDOM_HEX.test(client)) return false;
    const secret = new Uint8Array(secretLength);
    for (let i = 0, at = secondSpace + 1; i < secretLength; i++, at += 2) {
      // A table, not a function call per digit: this loop runs cold, thousands of times.
      const highCode = line.charCodeAt(at);
      const lowCode = line.charCodeAt(at + 1);
      const high = highCode < 256 ? HEX_DIGITS[highCode] : -1;
      const low = lowCode < 256 ? HEX_DIGITS[lowCode] : -1;
      if (high < 0 || low < 0) return false;
      secret[i] = (high << 4) | low;
    }
    this.add(client.toLowerCase(), label as KeyLogLabel, secret);
    return true;
  }

  private addOtherLine(line: string): void {
    const parts = line.split(/\s+/);
    if (parts.length !== 3 || !HEX_LINE.test(parts[1]) || !HEX_LINE.test(parts[2])) {
      this.counts.bad++;
      return;
    }
    const [label, client, secret] = parts;
    if (!KNOWN.has(label)) {
      this.counts.unknownLabels++;
      return;
    }
    const secretLength = secret.length / 2;
    const okLength = label === 'CLIENT_RANDOM' ? secretLength === 48 : secretLength === 32 || secretLength === 48;
    if (client.length !== 64 || !okLength) {
      this.counts.bad++;
      return;
    }
    this.add(client.toLowerCase(), label as KeyLogLabel, hexToBytes(secret));
  }

  /**
   * A repeated line (the same label, client random and secret) counts once, even after another
   * secret for that label and client came between (`replaced` remembers those, rarely needed).
   */
  private add(client: string, label: KeyLogLabel, secret: Uint8Array): void {
    let secrets = this.byClient.get(client);
    const current = secrets?.get(label);
    if (current !== undefined) {
      if (sameBytes(current, secret)) return;
      const identity = `${label} ${client} ${bytesToHex(secret)}`;
      if (this.replaced.has(identity)) return;
      this.replaced.add(identity);
      this.replaced.add(`${label} ${client} ${bytesToHex(current)}`);
    }
    if (!secrets) {
      secrets = new Map();
      this.byClient.set(client, secrets);
      this.counts.clients++;
    }
    secrets.set(label, secret);
    this.counts.secrets++;
    this.generation++;
  }
}
