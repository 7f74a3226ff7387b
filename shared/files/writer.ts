/**
 * pcap and pcapng writers. Each call hands the sink exactly one complete record or
 * block, so a process that dies between calls leaves a file that is valid up to
 * the last frame written. Output is little-endian.
 */
import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, PCAPNG_BYTE_ORDER_MAGIC, PcapngBlockType, PcapngOption, SecretsType } from './format';
import { assertWritableTimestamp, toTimestampUnits } from './timestamp';
import { MAX_CAPTURED_LENGTH, type ChunkSink, type FrameToWrite, type InterfaceToWrite, type SectionToWrite } from './types';
import { encodeUtf8 } from './utf8';

const pad4 = (length: number): number => (length + 3) & ~3;

/** Capture-length rules shared by both writers; returns the original length to store. */
function checkedOriginalLength(frame: FrameToWrite, snaplen: number): number {
  const capturedLength = frame.data.length;
  if (capturedLength > MAX_CAPTURED_LENGTH || (snaplen > 0 && capturedLength > snaplen)) {
    throw new RangeError(`frame of ${capturedLength} bytes exceeds the snaplen ${snaplen || MAX_CAPTURED_LENGTH}`);
  }
  const originalLength = frame.originalLength ?? capturedLength;
  if (!Number.isInteger(originalLength) || originalLength < capturedLength || originalLength > 0xffffffff) {
    throw new RangeError(`original length ${originalLength} is below the captured length ${capturedLength} or not a 32-bit count`);
  }
  assertWritableTimestamp(frame.tsSeconds, frame.tsNanos);
  return originalLength;
}

function checkedSnaplen(iface: InterfaceToWrite): number {
  const snaplen = iface.snaplen ?? MAX_CAPTURED_LENGTH;
  if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 0xffffffff) throw new RangeError(`invalid snaplen ${snaplen}`);
  return snaplen;
}

function checkedLinkType(linkType: number): number {
  if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) throw new RangeError(`invalid link type ${linkType}`);
  return linkType;
}

export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly resolution: 'us' | 'ns';
  private readonly sink: ChunkSink;

  /** Writes the file header at once, so even a capture with no frames is a valid file. */
  constructor(sink: ChunkSink, iface: InterfaceToWrite) {
    this.sink = sink;
    this.linkType = checkedLinkType(iface.linkType);
    this.snaplen = checkedSnaplen(iface);
    this.resolution = iface.resolution ?? 'ns';
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.resolution === 'ns' ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, this.snaplen, true);
    view.setUint32(20, this.linkType, true);
    sink(header);
  }

  writeFrame(frame: FrameToWrite): void {
    if (frame.linkType !== undefined && frame.linkType !== this.linkType) {
      throw new RangeError(`a pcap file holds one link type (${this.linkType}); this frame has ${frame.linkType}`);
    }
    const originalLength = checkedOriginalLength(frame, this.snaplen);
    const record = new Uint8Array(16 + frame.data.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, frame.tsSeconds, true);
    view.setUint32(4, this.resolution === 'ns' ? frame.tsNanos : Math.floor(frame.tsNanos / 1000), true);
    view.setUint32(8, frame.data.length, true);
    view.setUint32(12, originalLength, true);
    record.set(frame.data, 16);
    this.sink(record);
  }
}

/** One option to write: its code and raw value bytes. */
interface EncodedOption {
  code: number;
  value: Uint8Array;
}

function optionsLength(options: readonly EncodedOption[]): number {
  if (options.length === 0) return 0;
  let length = 4; // opt_endofopt
  for (const option of options) length += 4 + pad4(option.value.length);
  return length;
}

function writeOptions(block: Uint8Array, view: DataView, offset: number, options: readonly EncodedOption[]): void {
  if (options.length === 0) return;
  let position = offset;
  for (const option of options) {
    if (option.value.length > 0xffff) throw new RangeError(`option ${option.code} value of ${option.value.length} bytes exceeds 65535`);
    view.setUint16(position, option.code, true);
    view.setUint16(position + 2, option.value.length, true);
    block.set(option.value, position + 4);
    position += 4 + pad4(option.value.length);
  }
  // opt_endofopt: code 0, length 0 (the block is zero-filled already).
}

const textOption = (code: number, text: string | undefined): EncodedOption[] =>
  text === undefined ? [] : [{ code, value: encodeUtf8(text) }];

/** Allocates a block, fills the type and both length fields, and lets `fill` write the body. */
function buildBlock(type: number, bodyLength: number, fill: (block: Uint8Array, view: DataView) => void): Uint8Array {
  const totalLength = 12 + bodyLength;
  const block = new Uint8Array(totalLength);
  const view = new DataView(block.buffer);
  fill(block, view);
  writeBlockFrame(view, 0, type, totalLength);
  return block;
}

/** A block's type and its leading and trailing total length, for a block at `at`. */
function writeBlockFrame(view: DataView, at: number, type: number, totalLength: number): void {
  view.setUint32(at, type, true);
  view.setUint32(at + 4, totalLength, true);
  view.setUint32(at + totalLength - 4, totalLength, true);
}

/** An EPB's fixed fields and packet bytes, for a block at `at` (options and padding follow them). */
function writeEnhancedPacketBody(block: Uint8Array, view: DataView, at: number, interfaceId: number, timestamp: { high: number; low: number }, data: Uint8Array, originalLength: number): void {
  view.setUint32(at + 8, interfaceId, true);
  view.setUint32(at + 12, timestamp.high, true);
  view.setUint32(at + 16, timestamp.low, true);
  view.setUint32(at + 20, data.length, true);
  view.setUint32(at + 24, originalLength, true);
  block.set(data, at + 28);
}

interface WrittenInterface {
  linkType: number;
  snaplen: number;
  nanoseconds: boolean;
}

export interface PcapngWriterOptions {
  /**
   * Gather plain frames (no comment, no flags) into one chunk that `flush()` hands to the sink,
   * valid only during that call: a live capture writes each batch with one system call and
   * allocates nothing per frame. Other blocks flush what was gathered first, so order is kept.
   */
  gather?: boolean;
}

const NO_COMMENTS: readonly string[] = [];

/** The chunk plain frames are gathered into, and how much of it is used. */
interface Gathered {
  bytes: Uint8Array;
  view: DataView;
  length: number;
}

export class PcapngWriter {
  private readonly sink: ChunkSink;
  private readonly interfaces: WrittenInterface[] = [];
  private readonly gathered: Gathered | null;

  /** Writes the section header at once. The section length is written as -1 (unknown), as streaming writers do. */
  constructor(sink: ChunkSink, section: SectionToWrite = {}, writerOptions: PcapngWriterOptions = {}) {
    this.sink = sink;
    if (writerOptions.gather) {
      const bytes = new Uint8Array(64 * 1024);
      this.gathered = { bytes, view: new DataView(bytes.buffer), length: 0 };
    } else {
      this.gathered = null;
    }
    const options = [
      ...textOption(PcapngOption.Comment, section.comment),
      ...textOption(PcapngOption.ShbHardware, section.hardware),
      ...textOption(PcapngOption.ShbOs, section.os),
      ...textOption(PcapngOption.ShbUserApplication, section.userApplication ?? 'Handshake Workbench'),
    ];
    sink(
      buildBlock(PcapngBlockType.SectionHeader, 16 + optionsLength(options), (block, view) => {
        view.setUint32(8, PCAPNG_BYTE_ORDER_MAGIC, true);
        view.setUint16(12, 1, true);
        view.setUint16(14, 0, true);
        view.setInt32(16, -1, true);
        view.setInt32(20, -1, true);
        writeOptions(block, view, 24, options);
      }),
    );
  }

  get interfaceCount(): number {
    return this.interfaces.length;
  }

  /** Writes an IDB; returns the interface id frames refer to. */
  addInterface(iface: InterfaceToWrite): number {
    const linkType = checkedLinkType(iface.linkType);
    const snaplen = checkedSnaplen(iface);
    const nanoseconds = (iface.resolution ?? 'ns') === 'ns';
    const filterValue = iface.filter === undefined ? undefined : encodeUtf8(iface.filter);
    const options: EncodedOption[] = [
      ...textOption(PcapngOption.IfName, iface.name),
      ...textOption(PcapngOption.IfDescription, iface.description),
      // Microseconds is the default (6); only nanoseconds needs the option.
      ...(nanoseconds ? [{ code: PcapngOption.IfTsResolution, value: Uint8Array.of(9) }] : []),
      // if_filter: a leading 0 byte says "libpcap filter string".
      ...(filterValue === undefined ? [] : [{ code: PcapngOption.IfFilter, value: Uint8Array.of(0, ...filterValue) }]),
      ...textOption(PcapngOption.IfOs, iface.os),
    ];
    this.flush();
    this.sink(
      buildBlock(PcapngBlockType.InterfaceDescription, 8 + optionsLength(options), (block, view) => {
        view.setUint16(8, linkType, true);
        view.setUint32(12, snaplen, true);
        writeOptions(block, view, 16, options);
      }),
    );
    this.interfaces.push({ linkType, snaplen, nanoseconds });
    return this.interfaces.length - 1;
  }

  /**
   * Writes a Decryption Secrets Block (pcapng §4.7), by default of NSS key-log text ('TLSK'),
   * as `editcap --inject-secrets tls,FILE` does. Readers apply it to the frames after it, and
   * Wireshark to every frame of the file.
   */
  writeSecrets(data: Uint8Array, secretsType: number = SecretsType.TlsKeyLog): void {
    this.flush();
    this.sink(
      buildBlock(PcapngBlockType.DecryptionSecrets, 8 + pad4(data.length), (block, view) => {
        view.setUint32(8, secretsType >>> 0, true);
        view.setUint32(12, data.length, true);
        block.set(data, 16);
      }),
    );
  }

  /** Writes one EPB (with opt_comment and epb_flags when given). */
  writeFrame(frame: FrameToWrite): void {
    const interfaceId = frame.interfaceId ?? 0;
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) throw new RangeError(`interface ${interfaceId} was not added (${this.interfaces.length} so far)`);
    if (frame.linkType !== undefined && frame.linkType !== iface.linkType) {
      throw new RangeError(`interface ${interfaceId} has link type ${iface.linkType}; this frame has ${frame.linkType}`);
    }
    const originalLength = checkedOriginalLength(frame, iface.snaplen);
    const comments = frame.comments ?? (frame.comment === undefined ? NO_COMMENTS : [frame.comment]);
    if (this.gathered && comments.length === 0 && frame.flags === undefined) {
      this.gatherFrame(this.gathered, frame, interfaceId, iface.nanoseconds, originalLength);
      return;
    }
    this.flush();
    const options: EncodedOption[] = comments.map((comment) => ({ code: PcapngOption.Comment, value: encodeUtf8(comment) }));
    if (frame.flags !== undefined) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, frame.flags >>> 0, true);
      options.push({ code: PcapngOption.PacketFlags, value: flags });
    }
    const timestamp = toTimestampUnits(frame.tsSeconds, frame.tsNanos, iface.nanoseconds);
    const capturedLength = frame.data.length;
    this.sink(
      buildBlock(PcapngBlockType.EnhancedPacket, 20 + pad4(capturedLength) + optionsLength(options), (block, view) => {
        writeEnhancedPacketBody(block, view, 0, interfaceId, timestamp, frame.data, originalLength);
        writeOptions(block, view, 28 + pad4(capturedLength), options);
      }),
    );
  }

  /** Hands what was gathered to the sink as one chunk (see PcapngWriterOptions.gather). */
  flush(): void {
    const gathered = this.gathered;
    if (!gathered || gathered.length === 0) return;
    const length = gathered.length;
    gathered.length = 0;
    this.sink(gathered.bytes.subarray(0, length));
  }

  /** An EPB without options, appended to the gathered chunk. */
  private gatherFrame(gathered: Gathered, frame: FrameToWrite, interfaceId: number, nanoseconds: boolean, originalLength: number): void {
    const totalLength = 32 + pad4(frame.data.length);
    if (gathered.length + totalLength > gathered.bytes.length) {
      const grown = new Uint8Array(Math.max(gathered.bytes.length * 2, gathered.length + totalLength));
      grown.set(gathered.bytes.subarray(0, gathered.length));
      gathered.bytes = grown;
      gathered.view = new DataView(grown.buffer);
    }
    const { bytes, view } = gathered;
    const at = gathered.length;
    writeEnhancedPacketBody(bytes, view, at, interfaceId, toTimestampUnits(frame.tsSeconds, frame.tsNanos, nanoseconds), frame.data, originalLength);
    // Padding must be zero: the buffer is reused.
    bytes.fill(0, at + 28 + frame.data.length, at + totalLength - 4);
    writeBlockFrame(view, at, PcapngBlockType.EnhancedPacket, totalLength);
    gathered.length = at + totalLength;
  }
}
