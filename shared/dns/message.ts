/**
 * One DNS message (RFC 1035 §4.1) read from bytes. Names and the common RDATA formats are
 * read by dns-packet; the header, the record framing (type, class, TTL, RDLENGTH) and
 * SVCB/HTTPS (RFC 9460, which dns-packet 5.6 does not know) are read here, so every record
 * keeps its offset for the hex view and a record whose RDATA disagrees with its RDLENGTH is
 * flagged instead of shifting the rest. Never throws: what cannot be read is `malformed`.
 */
import { Buffer } from 'buffer';
import * as dnsPacket from 'dns-packet/index.js';
import { formatIpv4, formatIpv6 } from '../wire/bytes';
import { dnsTypeName } from './names';

export type DnsSection = 'answer' | 'authority' | 'additional';

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
  /** The mDNS "unicast response" bit (top bit of the class). */
  unicastResponse: boolean;
  /** Offset in the message and length of the whole question. */
  offset: number;
  length: number;
}

export interface DnsSvcParam {
  key: number;
  offset: number;
  /** Length of the value. */
  length: number;
  value: Uint8Array;
  alpn?: string[];
  port?: number;
  ipv4hint?: string[];
  ipv6hint?: string[];
  ech?: Uint8Array;
  mandatory?: number[];
  /** The value does not have the form its key requires. */
  error?: string;
}

export interface DnsSvcb {
  priority: number;
  target: string;
  params: DnsSvcParam[];
}

export interface DnsOpt {
  udpPayloadSize: number;
  extendedRcode: number;
  version: number;
  flags: number;
}

export interface DnsRecord {
  section: DnsSection;
  name: string;
  type: number;
  /** The class (for OPT: the UDP payload size). */
  class: number;
  /** The mDNS cache-flush bit (top bit of the class). */
  cacheFlush: boolean;
  ttl: number;
  dataLength: number;
  offset: number;
  /** Length of the whole record, name to the end of its RDATA. */
  length: number;
  /** A and AAAA. */
  address?: string;
  /** CNAME, NS, PTR, DNAME: the name the record points to. */
  target?: string;
  svcb?: DnsSvcb;
  opt?: DnsOpt;
  /** The record's data as Wireshark's Info column words it (`198.18.0.1`, `10 mail.example`), '' when it shows none. */
  summary: string;
  /** Why the RDATA could not be read as its type says. */
  error: string | null;
}

export interface DnsMessage {
  id: number;
  /** The 16-bit flags word. */
  flags: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  z: boolean;
  authenticated: boolean;
  checkingDisabled: boolean;
  rcode: number;
  counts: { questions: number; answers: number; authority: number; additional: number };
  questions: DnsQuestion[];
  records: DnsRecord[];
  /** Bytes of the message (for TCP, without the 2-byte length). */
  length: number;
  /** Why the message could not be read whole, or null. What came before the damage is kept. */
  malformed: string | null;
}

const HEADER_LENGTH = 12;
/** A cap on records per message so a hostile count cannot make us loop for long (a 64 KiB message holds fewer). */
const MAX_ENTRIES = 65535;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A name as Wireshark shows it: the root is `<Root>`. */
export function displayName(name: string): string {
  return name === '.' || name === '' ? '<Root>' : name;
}

export function parseDnsMessage(bytes: Uint8Array): DnsMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const message: DnsMessage = {
    id: 0,
    flags: 0,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    z: false,
    authenticated: false,
    checkingDisabled: false,
    rcode: 0,
    counts: { questions: 0, answers: 0, authority: 0, additional: 0 },
    questions: [],
    records: [],
    length: bytes.length,
    malformed: null,
  };
  if (bytes.length < HEADER_LENGTH) {
    message.malformed = `DNS header needs 12 bytes, the message has ${bytes.length}`;
    if (bytes.length >= 2) message.id = buf.readUInt16BE(0);
    return message;
  }
  const flags = buf.readUInt16BE(2);
  message.id = buf.readUInt16BE(0);
  message.flags = flags;
  message.response = (flags & 0x8000) !== 0;
  message.opcode = (flags >> 11) & 0xf;
  message.authoritative = (flags & 0x0400) !== 0;
  message.truncated = (flags & 0x0200) !== 0;
  message.recursionDesired = (flags & 0x0100) !== 0;
  message.recursionAvailable = (flags & 0x0080) !== 0;
  message.z = (flags & 0x0040) !== 0;
  message.authenticated = (flags & 0x0020) !== 0;
  message.checkingDisabled = (flags & 0x0010) !== 0;
  message.rcode = flags & 0xf;
  const counts = message.counts;
  counts.questions = buf.readUInt16BE(4);
  counts.answers = buf.readUInt16BE(6);
  counts.authority = buf.readUInt16BE(8);
  counts.additional = buf.readUInt16BE(10);

  let offset = HEADER_LENGTH;
  for (let n = 0; n < Math.min(counts.questions, MAX_ENTRIES); n++) {
    if (offset >= buf.length) {
      message.malformed = `question ${n + 1} of ${counts.questions} is missing: the message ends at byte ${buf.length}`;
      return message;
    }
    try {
      const name = dnsPacket.name.decode(buf, offset);
      const nameLength = dnsPacket.name.decode.bytes;
      if (offset + nameLength + 4 > buf.length) throw new Error('the question runs past the end of the message');
      const klass = buf.readUInt16BE(offset + nameLength + 2);
      message.questions.push({ name, type: buf.readUInt16BE(offset + nameLength), class: klass & 0x7fff, unicastResponse: (klass & 0x8000) !== 0, offset, length: nameLength + 4 });
      offset += nameLength + 4;
    } catch (error) {
      message.malformed = `question ${n + 1}: ${errorText(error)}`;
      return message;
    }
  }
  const sections: Array<[DnsSection, number]> = [
    ['answer', counts.answers],
    ['authority', counts.authority],
    ['additional', counts.additional],
  ];
  for (const [section, count] of sections) {
    for (let n = 0; n < Math.min(count, MAX_ENTRIES); n++) {
      if (offset >= buf.length) {
        message.malformed = `${section} record ${n + 1} of ${count} is missing: the message ends at byte ${buf.length}`;
        return message;
      }
      const record = readRecord(buf, offset, section);
      if (typeof record === 'string') {
        message.malformed = `${section} record ${n + 1}: ${record}`;
        return message;
      }
      message.records.push(record);
      offset += record.length;
    }
  }
  return message;
}

/** One resource record at `offset`, or the reason it cannot be framed (then nothing after it can be either). */
function readRecord(buf: Buffer, offset: number, section: DnsSection): DnsRecord | string {
  let name: string;
  let nameLength: number;
  try {
    name = dnsPacket.name.decode(buf, offset);
    nameLength = dnsPacket.name.decode.bytes;
  } catch (error) {
    return errorText(error);
  }
  const fixed = offset + nameLength;
  if (fixed + 10 > buf.length) return 'the record header runs past the end of the message';
  const type = buf.readUInt16BE(fixed);
  const klass = buf.readUInt16BE(fixed + 2);
  const ttl = buf.readUInt32BE(fixed + 4);
  const dataLength = buf.readUInt16BE(fixed + 8);
  const dataStart = fixed + 10;
  if (dataStart + dataLength > buf.length) return `RDLENGTH ${dataLength} runs past the end of the message (${buf.length - dataStart} bytes left)`;
  const record: DnsRecord = {
    section,
    name,
    type,
    class: type === 41 ? klass : klass & 0x7fff,
    cacheFlush: type !== 41 && (klass & 0x8000) !== 0,
    ttl,
    dataLength,
    offset,
    length: nameLength + 10 + dataLength,
    summary: '',
    error: null,
  };
  readData(buf, record, fixed, dataStart);
  return record;
}

function readData(buf: Buffer, record: DnsRecord, fixed: number, dataStart: number): void {
  const { type, dataLength } = record;
  const data = new Uint8Array(buf.buffer, buf.byteOffset + dataStart, dataLength);
  switch (type) {
    case 1:
      if (dataLength !== 4) record.error = `an A record's data is 4 bytes, this one has ${dataLength}`;
      else record.summary = record.address = formatIpv4(data, 0);
      return;
    case 28:
      if (dataLength !== 16) record.error = `an AAAA record's data is 16 bytes, this one has ${dataLength}`;
      else record.summary = record.address = formatIpv6(data, 0);
      return;
    case 41:
      record.opt = { udpPayloadSize: record.class, extendedRcode: record.ttl >>> 24, version: (record.ttl >>> 16) & 0xff, flags: record.ttl & 0xffff };
      return;
    case 64:
    case 65: {
      const svcb = readSvcb(buf, dataStart, dataLength);
      if (typeof svcb === 'string') record.error = svcb;
      else record.svcb = svcb;
      return;
    }
    default:
      break;
  }
  // The rest through dns-packet's RDATA readers, which take the whole record from its name.
  try {
    const decoded = dnsPacket.answer.decode(buf, record.offset);
    if (dnsPacket.answer.decode.bytes !== record.length) {
      record.error = `RDLENGTH ${dataLength} does not match the ${dnsTypeName(type)} data (${dnsPacket.answer.decode.bytes - (dataStart - record.offset)} bytes)`;
      return;
    }
    record.summary = summarize(type, decoded.data);
    if ((type === 5 || type === 2 || type === 12 || type === 39) && typeof decoded.data === 'string') record.target = decoded.data;
  } catch (error) {
    record.error = errorText(error);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A record's data as the Info column shows it after the type name. */
function summarize(type: number, data: unknown): string {
  if (typeof data === 'string') return data;
  if (!isRecord(data)) return '';
  switch (type) {
    case 6:
      return typeof data.mname === 'string' ? data.mname : '';
    case 15:
      return `${String(data.preference)} ${String(data.exchange)}`;
    case 33:
      return `${String(data.priority)} ${String(data.weight)} ${String(data.port)} ${String(data.target)}`;
    default:
      return '';
  }
}

/** RFC 9460 §2.2 SVCB/HTTPS RDATA: priority, target name (uncompressed), then SvcParams in key order. */
function readSvcb(buf: Buffer, start: number, length: number): DnsSvcb | string {
  const end = start + length;
  if (length < 3) return `SVCB data needs at least 3 bytes, this has ${length}`;
  const priority = buf.readUInt16BE(start);
  let target: string;
  let offset = start + 2;
  try {
    target = dnsPacket.name.decode(buf.subarray(0, end), offset);
    offset += dnsPacket.name.decode.bytes;
  } catch (error) {
    return `SVCB target: ${errorText(error)}`;
  }
  const params: DnsSvcParam[] = [];
  let previousKey = -1;
  while (offset < end) {
    if (offset + 4 > end) return `SvcParam at byte ${offset - start} of the data is cut short`;
    const key = buf.readUInt16BE(offset);
    const valueLength = buf.readUInt16BE(offset + 2);
    if (offset + 4 + valueLength > end) return `SvcParam ${key}'s value (${valueLength} bytes) runs past the record's data`;
    const value = new Uint8Array(buf.buffer, buf.byteOffset + offset + 4, valueLength);
    const param: DnsSvcParam = { key, offset: offset + 4, length: valueLength, value };
    if (key <= previousKey) param.error = `SvcParamKeys must be in increasing order (RFC 9460 §2.2); ${key} follows ${previousKey}`;
    readSvcParam(param);
    params.push(param);
    previousKey = key;
    offset += 4 + valueLength;
  }
  return { priority, target, params };
}

function readSvcParam(param: DnsSvcParam): void {
  const value = param.value;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  switch (param.key) {
    case 0:
      if (value.length % 2 !== 0) param.error ??= 'mandatory: the key list has an odd length';
      param.mandatory = [];
      for (let i = 0; i + 1 < value.length; i += 2) param.mandatory.push(view.getUint16(i));
      return;
    case 1: {
      const ids: string[] = [];
      for (let i = 0; i < value.length; ) {
        const n = value[i];
        if (n === 0 || i + 1 + n > value.length) {
          param.error ??= 'alpn: a protocol id runs past the value';
          break;
        }
        ids.push(String.fromCharCode(...value.subarray(i + 1, i + 1 + n)));
        i += 1 + n;
      }
      param.alpn = ids;
      return;
    }
    case 3:
      if (value.length !== 2) param.error ??= `port: the value is 2 bytes, this one has ${value.length}`;
      else param.port = view.getUint16(0);
      return;
    case 4:
      if (value.length === 0 || value.length % 4 !== 0) param.error ??= `ipv4hint: ${value.length} bytes is not a list of IPv4 addresses`;
      param.ipv4hint = [];
      for (let i = 0; i + 4 <= value.length; i += 4) param.ipv4hint.push(formatIpv4(value, i));
      return;
    case 5:
      param.ech = value;
      return;
    case 6:
      if (value.length === 0 || value.length % 16 !== 0) param.error ??= `ipv6hint: ${value.length} bytes is not a list of IPv6 addresses`;
      param.ipv6hint = [];
      for (let i = 0; i + 16 <= value.length; i += 16) param.ipv6hint.push(formatIpv6(value, i));
      return;
    default:
      return;
  }
}
