/**
 * Community ID v1 (Corelight's community-id-spec, as Zeek, Suricata, Arkime and Wireshark's
 * `communityid` compute it): SHA-1 over seed, the two addresses and ports in a canonical order,
 * the protocol and a pad byte, base64-encoded after the version prefix "1:". Both directions
 * of a flow get the same ID.
 */
import { isIpv6Text, parseIpv4, parseIpv6 } from '../wire/bytes';
import { sha1Into } from './sha1';

/** One endpoint: its address as 4 (IPv4) or 16 (IPv6) bytes and its port (ICMP: type or code). */
export interface FlowEndpoint {
  address: Uint8Array;
  port: number;
}

const ICMP = 1;
const ICMPV6 = 58;
const PORTED = new Set([6, 17, 132, ICMP, ICMPV6]);

// ICMP request ↔ reply types, so both directions of an exchange share one ID (spec §"ICMP").
const ICMP_PAIRS: ReadonlyMap<number, number> = new Map([
  [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17],
]);
const ICMPV6_PAIRS: ReadonlyMap<number, number> = new Map([
  [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135], [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144],
]);

function compareEndpoints(a: FlowEndpoint, b: FlowEndpoint): number {
  for (let i = 0; i < a.address.length; i++) if (a.address[i] !== b.address[i]) return a.address[i] - b.address[i];
  return a.port - b.port;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The Community ID v1 string of a flow, e.g. "1:wCb3OG7yAFWelaUydu0D+125CLM=". `protocol` is the
 * IP protocol number; for ICMP/ICMPv6 the ports are type (source) and code (destination).
 */
/** `withPorts` false: the ports are not known (an IP fragment), so they are left out of the hash, as Wireshark does. */
export function communityId(protocol: number, source: FlowEndpoint, destination: FlowEndpoint, seed = 0, withPorts = true): string {
  if (source.address.length !== destination.address.length) throw new RangeError('community ID: addresses of different families');
  let src = source;
  let dst = destination;
  let oneWay = false;
  if (protocol === ICMP || protocol === ICMPV6) {
    // The type goes in the source port; its counterpart type (or the code, for one-way messages) in the destination port.
    const pair = (protocol === ICMP ? ICMP_PAIRS : ICMPV6_PAIRS).get(source.port);
    oneWay = pair === undefined;
    dst = { address: destination.address, port: pair ?? destination.port };
  }
  // The smaller (address, port) goes first; a one-way ICMP message keeps its direction.
  if (!oneWay && compareEndpoints(src, dst) > 0) [src, dst] = [dst, src];
  const input = flowInput(protocol, src, dst, seed, withPorts);
  // Every frame of a flow hashes the same bytes: recent IDs are remembered (bounded).
  const key = String.fromCharCode.apply(null, input as unknown as number[]);
  let id = RECENT_IDS.get(key);
  if (id === undefined) {
    sha1Into(input, input.length, DIGEST);
    id = idText(DIGEST);
    if (RECENT_IDS.size >= RECENT_IDS_MAX) RECENT_IDS.clear();
    RECENT_IDS.set(key, id);
  }
  return id;
}

/** The hashed bytes: seed, the two endpoints in canonical order, protocol, pad, ports. */
function flowInput(protocol: number, src: FlowEndpoint, dst: FlowEndpoint, seed: number, withPorts: boolean): Uint8Array {
  const n = src.address.length;
  const ported = withPorts && PORTED.has(protocol);
  const input = new Uint8Array(2 + 2 * n + 2 + (ported ? 4 : 0));
  input[0] = (seed >>> 8) & 0xff;
  input[1] = seed & 0xff;
  input.set(src.address, 2);
  input.set(dst.address, 2 + n);
  input[2 + 2 * n] = protocol;
  input[3 + 2 * n] = 0;
  if (ported) {
    const at = 4 + 2 * n;
    input[at] = src.port >>> 8;
    input[at + 1] = src.port & 0xff;
    input[at + 2] = dst.port >>> 8;
    input[at + 3] = dst.port & 0xff;
  }
  return input;
}

const RECENT_IDS = new Map<string, string>();
const RECENT_IDS_MAX = 1 << 16;

/**
 * The same from address text (dotted IPv4 or IPv6), as connection summaries hold them. A list of
 * connections has a different flow each time, so this skips the recent-ID cache.
 */
export function communityIdOf(protocol: number, sourceAddress: string, sourcePort: number, destinationAddress: string, destinationPort: number, seed = 0): string {
  if (protocol === ICMP || protocol === ICMPV6) {
    const src: FlowEndpoint = { address: parseAddress(sourceAddress), port: sourcePort };
    const dst: FlowEndpoint = { address: parseAddress(destinationAddress), port: destinationPort };
    if (src.address.length !== dst.address.length) throw new RangeError('community ID: addresses of different families');
    return communityId(protocol, src, dst, seed);
  }
  // One call per connection of a list: the hashed bytes are laid out in place, with no array
  // per call (short-lived typed arrays made most of a connection list's garbage).
  const key = LIST_KEY;
  const n = readAddress(sourceAddress, key, 2);
  if (readAddress(destinationAddress, key, 2 + n) !== n) throw new RangeError('community ID: addresses of different families');
  let order = 0;
  for (let i = 2; i < 2 + n && order === 0; i++) order = key[i] - key[i + n];
  if (order === 0) order = sourcePort - destinationPort;
  let firstPort = sourcePort;
  let secondPort = destinationPort;
  if (order > 0) {
    for (let i = 2; i < 2 + n; i++) {
      const byte = key[i];
      key[i] = key[i + n];
      key[i + n] = byte;
    }
    firstPort = destinationPort;
    secondPort = sourcePort;
  }
  key[0] = (seed >>> 8) & 0xff;
  key[1] = seed & 0xff;
  key[2 + 2 * n] = protocol;
  key[3 + 2 * n] = 0;
  let length = 4 + 2 * n;
  if (PORTED.has(protocol)) {
    key[length] = firstPort >>> 8;
    key[length + 1] = firstPort & 0xff;
    key[length + 2] = secondPort >>> 8;
    key[length + 3] = secondPort & 0xff;
    length += 4;
  }
  sha1Into(key, length, DIGEST);
  return idText(DIGEST);
}

/** Seed, two IPv6 addresses, protocol, pad and ports: the longest hashed input. */
const LIST_KEY = new Uint8Array(40);
/** Every ID's digest, before it becomes text. */
const DIGEST = new Uint8Array(20);
/** "1:" and the digest's 28 base64 characters, as character codes. */
const ID_CODES: number[] = new Array<number>(30).fill(0);
ID_CODES[0] = 0x31;
ID_CODES[1] = 0x3a;
const BASE64_CODES = Array.from(BASE64, (c) => c.charCodeAt(0));

/** `1:` and the standard base64 (RFC 4648 §4, padded) of a 20-byte digest, made as one flat string. */
function idText(digest: Uint8Array): string {
  let out = 2;
  for (let i = 0; i < 18; i += 3) {
    const n = (digest[i] << 16) | (digest[i + 1] << 8) | digest[i + 2];
    ID_CODES[out] = BASE64_CODES[n >>> 18];
    ID_CODES[out + 1] = BASE64_CODES[(n >>> 12) & 63];
    ID_CODES[out + 2] = BASE64_CODES[(n >>> 6) & 63];
    ID_CODES[out + 3] = BASE64_CODES[n & 63];
    out += 4;
  }
  const n = (digest[18] << 16) | (digest[19] << 8);
  ID_CODES[26] = BASE64_CODES[n >>> 18];
  ID_CODES[27] = BASE64_CODES[(n >>> 12) & 63];
  ID_CODES[28] = BASE64_CODES[(n >>> 6) & 63];
  ID_CODES[29] = 0x3d;
  return String.fromCharCode.apply(null, ID_CODES);
}

function parseAddress(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const n = readAddress(text, bytes, 0);
  return bytes.slice(0, n);
}

/** Writes the address `text` names at `out[at..]` and returns its length (4 or 16); throws on text that is not an address. */
function readAddress(text: string, out: Uint8Array, at: number): number {
  const n = addressBytesInto(text, out, at);
  if (n > 0) return n;
  const parsed = isIpv6Text(text) ? parseIpv6(text) : parseIpv4(text);
  out.set(parsed, at);
  return parsed.length;
}

/**
 * Dotted IPv4 or colon-hex IPv6 (at most one `::`, no dotted tail) read without regular
 * expressions into `out[at..]`; its length (4 or 16), or 0 for any other text (the general parsers then decide).
 */
function addressBytesInto(text: string, out: Uint8Array, at: number): number {
  const n = text.length;
  if (text.indexOf(':') < 0) {
    let part = 0;
    let value = 0;
    let digits = 0;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? text.charCodeAt(i) : 0x2e;
      if (c === 0x2e) {
        if (digits === 0 || value > 255 || part > 3) return 0;
        out[at + part++] = value;
        value = 0;
        digits = 0;
      } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
        value = value * 10 + c - 0x30;
        digits++;
      } else return 0;
    }
    return part === 4 ? 4 : 0;
  }
  const groups: number[] = [];
  let gapAt = -1;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) {
      if (i + 1 < n && text.charCodeAt(i + 1) === 0x3a) {
        if (gapAt >= 0) return 0;
        if (digits > 0) groups.push(value);
        else if (i !== 0) return 0;
        gapAt = groups.length;
        i++;
      } else {
        if (digits === 0) return 0;
        groups.push(value);
      }
      value = 0;
      digits = 0;
      continue;
    }
    const hex = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (hex < 0 || digits === 4) return 0;
    value = value * 16 + hex;
    digits++;
  }
  if (digits > 0) groups.push(value);
  else if (gapAt !== groups.length || n === 0) return 0; // a trailing single ':'
  if (gapAt < 0 ? groups.length !== 8 : groups.length > 7) return 0;
  out.fill(0, at, at + 16);
  const tail = gapAt < 0 ? 0 : groups.length - gapAt;
  for (let g = 0; g < groups.length; g++) {
    const group = gapAt < 0 || g < gapAt ? g : 8 - tail + (g - gapAt);
    out[at + group * 2] = groups[g] >>> 8;
    out[at + group * 2 + 1] = groups[g] & 0xff;
  }
  return 16;
}
