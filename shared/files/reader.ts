/**
 * Streaming push parser for pcap and pcapng. Feed chunks of any size with push();
 * frames come out through handlers.onFrame in one reused record.
 *
 * Memory: a record that lies inside a chunk is parsed in place; one that straddles
 * chunks is gathered in a carry-over buffer that grows with the bytes that actually
 * arrived, never with a length a header claims. Damage stops the reader with a
 * CaptureFileError after everything before it was emitted.
 */
import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, PCAPNG_BYTE_ORDER_MAGIC, PcapngBlockType, PcapngOption } from './format';
import { TimestampScale } from './timestamp';
import { decodeUtf8 } from './utf8';
import {
  CaptureFileError,
  MAX_CAPTURED_LENGTH,
  type CaptureDamageKind,
  type CaptureFormat,
  type CaptureFrame,
  type CaptureHandlers,
  type CaptureInterface,
  type CaptureSection,
  type InterfaceStatistics,
} from './types';

const PCAP_FILE_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
/** Type + total length + trailing total length. */
const BLOCK_OVERHEAD = 12;
const EPB_FIXED_LENGTH = 32;
const OPB_FIXED_LENGTH = 32;
const SPB_FIXED_LENGTH = 16;
/** Room for options after the packet data of a packet block. */
const MAX_PACKET_BLOCK_OPTIONS = 65536;
/** Non-packet blocks (NRB, DSB, custom) are buffered whole; this bounds them. */
const MAX_OTHER_BLOCK_LENGTH = 16 * 1024 * 1024;
const TWO_POW_32 = 4294967296;
const INITIAL_CARRY_CAPACITY = 4096;
const MAX_RETAINED_CARRY = 1024 * 1024;

const pad4 = (length: number): number => (length + 3) & ~3;

/** A snaplen that can bound captured lengths: 0 and absurd values mean "no limit". */
const isSaneSnaplen = (snaplen: number): boolean => snaplen > 0 && snaplen <= MAX_CAPTURED_LENGTH;

/** The one record handed to onFrame, refilled for every frame. */
class ReusedFrame implements CaptureFrame {
  frameNumber = 0;
  interfaceId = 0;
  linkType = 0;
  tsSeconds = 0;
  tsNanos = 0;
  hasTimestamp = true;
  capturedLength = 0;
  originalLength = 0;
  buffer: Uint8Array = new Uint8Array(0);
  bufferOffset = 0;
  recordOffset = 0;
  dataOffset = 0;
  comment: string | undefined = undefined;
  comments: string[] | undefined = undefined;
  flags: number | undefined = undefined;
  exceededSnaplen = 0;
  private dataView: Uint8Array | undefined = undefined;

  get data(): Uint8Array {
    if (this.dataView === undefined) {
      this.dataView = this.buffer.subarray(this.bufferOffset, this.bufferOffset + this.capturedLength);
    }
    return this.dataView;
  }

  /** Called for every frame: clears per-frame optional fields and the cached view. */
  reset(buffer: Uint8Array, bufferOffset: number): void {
    this.buffer = buffer;
    this.bufferOffset = bufferOffset;
    this.hasTimestamp = true;
    this.dataView = undefined;
    this.comment = undefined;
    this.comments = undefined;
    this.flags = undefined;
  }
}

interface InterfaceState {
  info: CaptureInterface;
  scale: TimestampScale;
}

/** Records longer than their header's snaplen that were read anyway (as libpcap does). */
export interface AboveSnaplen {
  frames: number;
  /** Number of the first such frame (0: none), and the snaplen it exceeded. */
  first: number;
  snaplen: number;
}

export interface CaptureReaderOptions {
  /** Frames with a larger captured length are damage. Default MAX_CAPTURED_LENGTH (256 KiB). */
  maxCapturedLength?: number;
}

export class CaptureReader {
  private readonly handlers: CaptureHandlers;
  private readonly maxCapturedLength: number;
  private readonly frame = new ReusedFrame();

  private detectedFormat: CaptureFormat | undefined = undefined;
  private littleEndian = true;
  private pcapNanoseconds = false;
  private interfaces: InterfaceState[] = [];
  private sectionCount = 0;

  private carry = new Uint8Array(INITIAL_CARRY_CAPACITY);
  private carryView = new DataView(this.carry.buffer);
  private carryLength = 0;
  /** Stream offset of the first byte not yet parsed as part of a complete record. */
  private consumed = 0;
  private frameCount = 0;
  private failure: CaptureFileError | undefined = undefined;
  private ended = false;
  private handlerFailed = false;
  private readonly aboveSnaplen: AboveSnaplen = { frames: 0, first: 0, snaplen: 0 };

  // Scratch for option parsing, reused across blocks.
  private optionCodes: Int32Array = new Int32Array(16);
  private optionStarts: Int32Array = new Int32Array(16);
  private optionLengths: Int32Array = new Int32Array(16);

  constructor(handlers: CaptureHandlers, options: CaptureReaderOptions = {}) {
    this.handlers = handlers;
    this.maxCapturedLength = options.maxCapturedLength ?? MAX_CAPTURED_LENGTH;
  }

  /** 'pcap' or 'pcapng' once the file header (pcap header or first SHB) has been read. */
  get format(): CaptureFormat | undefined {
    return this.detectedFormat;
  }

  /** Frames read although their captured length is above their interface's snaplen. */
  get framesAboveSnaplen(): Readonly<AboveSnaplen> {
    return this.aboveSnaplen;
  }

  get framesRead(): number {
    return this.frameCount;
  }

  /** Bytes of the stream that belong to complete records (the rest waits in the carry-over). */
  get bytesParsed(): number {
    return this.consumed;
  }

  get damage(): CaptureFileError | undefined {
    return this.failure;
  }

  /** Parses as many complete records as the bytes allow. Throws CaptureFileError on damage. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error('CaptureReader.push after end()');
    if (this.handlerFailed) throw new Error('CaptureReader cannot continue after a handler threw: its position in the stream is lost');
    try {
      this.pushChunk(chunk);
    } catch (error) {
      if (error instanceof CaptureFileError) this.failure = error;
      else this.handlerFailed = true;
      throw error;
    }
  }

  /** Declares the end of the stream: a partial record left over is damage. */
  end(): void {
    if (this.failure) throw this.failure;
    this.ended = true;
    if (this.carryLength > 0) {
      // Re-measuring first reports a header problem in preference to "truncated".
      try {
        const needed = this.measure(this.carry, this.carryView, 0, this.carryLength);
        if (this.detectedFormat === undefined && this.carryLength < 4) {
          this.fail('bad-magic', `file is too short (${this.carryLength} bytes) to be a capture file`);
        }
        this.fail('truncated', `file ends inside a record: ${this.carryLength} of ${needed} bytes present`);
      } catch (error) {
        if (error instanceof CaptureFileError) this.failure = error;
        throw error;
      }
    }
    if (this.detectedFormat === undefined) {
      this.failure = new CaptureFileError('empty', 0, 1, 'file is empty');
      throw this.failure;
    }
  }

  private pushChunk(chunk: Uint8Array): void {
    let position = 0;
    const end = chunk.length;
    if (this.carryLength > 0) {
      for (;;) {
        const needed = this.measure(this.carry, this.carryView, 0, this.carryLength);
        if (needed <= this.carryLength) {
          this.processRecord(this.carry, this.carryView, 0, needed);
          this.consumed += needed;
          this.carryLength = 0;
          // A large non-packet block should not pin its buffer for the rest of the file.
          if (this.carry.length > MAX_RETAINED_CARRY) this.resizeCarry(INITIAL_CARRY_CAPACITY);
          break;
        }
        if (position === end) return;
        const take = Math.min(needed - this.carryLength, end - position);
        this.appendCarry(chunk, position, take);
        position += take;
      }
    }
    if (position === end) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (position < end) {
      const available = end - position;
      const needed = this.measure(chunk, view, position, available);
      if (needed > available) {
        this.appendCarry(chunk, position, available);
        return;
      }
      this.processRecord(chunk, view, position, needed);
      this.consumed += needed;
      position += needed;
    }
  }

  private appendCarry(source: Uint8Array, start: number, length: number): void {
    const required = this.carryLength + length;
    if (required > this.carry.length) this.resizeCarry(Math.max(required, this.carry.length * 2));
    this.carry.set(source.subarray(start, start + length), this.carryLength);
    this.carryLength = required;
  }

  private resizeCarry(capacity: number): void {
    const resized = new Uint8Array(capacity);
    resized.set(this.carry.subarray(0, this.carryLength));
    this.carry = resized;
    this.carryView = new DataView(resized.buffer);
  }

  private fail(kind: CaptureDamageKind, reason: string): never {
    throw new CaptureFileError(kind, this.consumed, this.frameCount + 1, reason);
  }

  /**
   * How many bytes the record at `start` needs: its full length once enough of its
   * header is present (validated), else the header length still to gather.
   */
  private measure(bytes: Uint8Array, view: DataView, start: number, available: number): number {
    switch (this.detectedFormat) {
      case 'pcap':
        return this.measurePcapRecord(view, start, available);
      case 'pcapng':
        return this.measurePcapngBlock(view, start, available);
      default:
        return this.measureFileStart(bytes, view, start, available);
    }
  }

  private measureFileStart(bytes: Uint8Array, view: DataView, start: number, available: number): number {
    if (available < 4) return 4;
    const magic = view.getUint32(start, false);
    if (bytes[start] === 0x1f && bytes[start + 1] === 0x8b) {
      this.fail('bad-magic', 'gzip-compressed data: decompress it before parsing');
    }
    if (magic === PcapngBlockType.SectionHeader) return this.measurePcapngBlock(view, start, available);
    const swapped = view.getUint32(start, true);
    if (magic === PCAP_MAGIC_MICROSECONDS || magic === PCAP_MAGIC_NANOSECONDS || swapped === PCAP_MAGIC_MICROSECONDS || swapped === PCAP_MAGIC_NANOSECONDS) {
      return PCAP_FILE_HEADER_LENGTH;
    }
    // The bytes themselves stay out of the message: through the API it would reveal any file's head.
    return this.fail('bad-magic', 'not a pcap or pcapng file (unknown magic number)');
  }

  private measurePcapRecord(view: DataView, start: number, available: number): number {
    if (available < PCAP_RECORD_HEADER_LENGTH) return PCAP_RECORD_HEADER_LENGTH;
    const capturedLength = view.getUint32(start + 8, this.littleEndian);
    this.checkCapturedLength(capturedLength);
    return PCAP_RECORD_HEADER_LENGTH + capturedLength;
  }

  private checkCapturedLength(capturedLength: number): void {
    if (capturedLength > this.maxCapturedLength) {
      this.fail('caplen-too-large', `captured length ${capturedLength} exceeds the ${this.maxCapturedLength}-byte limit`);
    }
    // Above the header's snaplen but within the hard limit: libpcap and tshark read such
    // records (other tools write them), so the frame is kept and flagged (emitFrame).
  }

  private measurePcapngBlock(view: DataView, start: number, available: number): number {
    const headerNeeded = this.blockHeaderLength(view, start, available);
    if (available < headerNeeded) return headerNeeded;
    const type = view.getUint32(start, this.littleEndian);
    let littleEndian = this.littleEndian;
    if (type === PcapngBlockType.SectionHeader) {
      const byteOrder = view.getUint32(start + 8, true);
      if (byteOrder === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = true;
      else if (byteOrder === 0x4d3c2b1a) littleEndian = false;
      else this.fail('bad-header', 'section header has an invalid byte-order magic');
    } else if (this.sectionCount === 0) {
      this.fail('bad-header', 'pcapng block before any section header');
    }
    const totalLength = view.getUint32(start + 4, littleEndian);
    if (totalLength < BLOCK_OVERHEAD || totalLength % 4 !== 0) {
      this.fail('bad-block-length', `block total length ${totalLength} is ${totalLength < BLOCK_OVERHEAD ? 'below 12' : 'not a multiple of 4'}`);
    }
    switch (type) {
      case PcapngBlockType.SectionHeader:
        this.checkOtherBlockLength(totalLength, 28, 'section header block');
        break;
      case PcapngBlockType.InterfaceDescription:
        this.checkOtherBlockLength(totalLength, 20, 'interface description block');
        break;
      case PcapngBlockType.EnhancedPacket:
      case PcapngBlockType.ObsoletePacket: {
        const isEnhanced = type === PcapngBlockType.EnhancedPacket;
        const interfaceId = isEnhanced ? view.getUint32(start + 8, littleEndian) : view.getUint16(start + 8, littleEndian);
        const capturedLength = view.getUint32(start + 20, littleEndian);
        const iface = this.requireInterface(interfaceId);
        this.checkCapturedLength(capturedLength);
        this.checkPacketBlockLength(totalLength, (isEnhanced ? EPB_FIXED_LENGTH : OPB_FIXED_LENGTH) + pad4(capturedLength), capturedLength);
        break;
      }
      case PcapngBlockType.SimplePacket: {
        const iface = this.requireInterface(0);
        const capturedLength = this.simplePacketCapturedLength(view, start, littleEndian, totalLength, iface.info.snaplen);
        this.checkCapturedLength(capturedLength);
        this.checkPacketBlockLength(totalLength, SPB_FIXED_LENGTH + pad4(capturedLength), capturedLength);
        break;
      }
      case PcapngBlockType.InterfaceStatistics:
        this.checkOtherBlockLength(totalLength, 24, 'interface statistics block');
        break;
      default:
        this.checkOtherBlockLength(totalLength, BLOCK_OVERHEAD, 'block');
    }
    return totalLength;
  }

  /** Blocks other than packets are gathered whole, so their length is bounded too. */
  private checkOtherBlockLength(totalLength: number, minimumLength: number, label: string): void {
    if (totalLength < minimumLength) this.fail('bad-block-length', `${label} length ${totalLength} is below ${minimumLength}`);
    if (totalLength > MAX_OTHER_BLOCK_LENGTH) {
      this.fail('bad-block-length', `${label} claims ${totalLength} bytes, above the ${MAX_OTHER_BLOCK_LENGTH}-byte limit`);
    }
  }

  /** Bytes of a block needed to validate its length fields before buffering the rest. */
  private blockHeaderLength(view: DataView, start: number, available: number): number {
    if (available < 8) return 12; // an SHB needs 12 to know its byte order; others are at least 12 long anyway
    switch (view.getUint32(start, this.littleEndian)) {
      case PcapngBlockType.EnhancedPacket:
      case PcapngBlockType.ObsoletePacket:
        return 24;
      default:
        return 12;
    }
  }

  private checkPacketBlockLength(totalLength: number, minimumLength: number, capturedLength: number): void {
    if (totalLength < minimumLength) {
      this.fail('bad-block-length', `captured length ${capturedLength} does not fit in a block of ${totalLength} bytes`);
    }
    if (totalLength > minimumLength + MAX_PACKET_BLOCK_OPTIONS) {
      this.fail('bad-block-length', `packet block length ${totalLength} leaves ${totalLength - minimumLength} bytes of options, above the ${MAX_PACKET_BLOCK_OPTIONS}-byte limit`);
    }
  }

  /** SPB: min(original length, snaplen of interface 0), and never more than the block holds. */
  private simplePacketCapturedLength(view: DataView, start: number, littleEndian: boolean, totalLength: number, snaplen: number): number {
    const originalLength = view.getUint32(start + 8, littleEndian);
    let capturedLength = Math.min(originalLength, totalLength - SPB_FIXED_LENGTH);
    if (snaplen > 0) capturedLength = Math.min(capturedLength, snaplen);
    return capturedLength;
  }

  private requireInterface(interfaceId: number): InterfaceState {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) {
      this.fail('missing-interface', `packet references interface ${interfaceId}, but the section describes ${this.interfaces.length}`);
    }
    return iface;
  }

  /** Called with a complete, measured record. */
  private processRecord(bytes: Uint8Array, view: DataView, start: number, length: number): void {
    switch (this.detectedFormat) {
      case 'pcap':
        this.processPcapRecord(bytes, view, start, length);
        return;
      case 'pcapng':
        this.processPcapngBlock(bytes, view, start, length);
        return;
      default:
        if (view.getUint32(start, false) === PcapngBlockType.SectionHeader) {
          this.detectedFormat = 'pcapng';
          this.processPcapngBlock(bytes, view, start, length);
        } else {
          this.processPcapFileHeader(view, start);
        }
    }
  }

  private processPcapFileHeader(view: DataView, start: number): void {
    const bigEndianMagic = view.getUint32(start, false);
    this.littleEndian = bigEndianMagic !== PCAP_MAGIC_MICROSECONDS && bigEndianMagic !== PCAP_MAGIC_NANOSECONDS;
    const magic = view.getUint32(start, this.littleEndian);
    this.pcapNanoseconds = magic === PCAP_MAGIC_NANOSECONDS;
    const versionMajor = view.getUint16(start + 4, this.littleEndian);
    const versionMinor = view.getUint16(start + 6, this.littleEndian);
    if (versionMajor !== 2) this.fail('bad-header', `unsupported pcap version ${versionMajor}.${versionMinor}`);
    const snaplen = view.getUint32(start + 16, this.littleEndian);
    const linkTypeField = view.getUint32(start + 20, this.littleEndian);
    this.detectedFormat = 'pcap';
    this.sectionCount = 1;
    const info: CaptureInterface = {
      id: 0,
      // Low 16 bits are the link type; the top bits carry the FCS length (in 16-bit words) when bit 26 is set.
      linkType: linkTypeField & 0xffff,
      snaplen,
      tsResolution: this.pcapNanoseconds ? 9 : 6,
      recordOffset: this.consumed,
    };
    if ((linkTypeField & 0x04000000) !== 0) info.fcsLength = ((linkTypeField >>> 28) & 0xf) * 2;
    this.interfaces = [{ info, scale: new TimestampScale(info.tsResolution) }];
    this.handlers.onSection?.({
      format: 'pcap',
      index: 0,
      littleEndian: this.littleEndian,
      versionMajor,
      versionMinor,
      recordOffset: this.consumed,
    });
    this.handlers.onInterface?.(info);
  }

  private processPcapRecord(bytes: Uint8Array, view: DataView, start: number, length: number): void {
    const frame = this.frame;
    const littleEndian = this.littleEndian;
    frame.reset(bytes, start + PCAP_RECORD_HEADER_LENGTH);
    let seconds = view.getUint32(start, littleEndian);
    let nanos = view.getUint32(start + 4, littleEndian);
    if (!this.pcapNanoseconds) nanos *= 1000;
    if (nanos >= 1_000_000_000) {
      // Some writers overflow the fraction; carry it rather than print an 10-digit fraction.
      seconds += Math.floor(nanos / 1_000_000_000);
      nanos %= 1_000_000_000;
    }
    frame.tsSeconds = seconds;
    frame.tsNanos = nanos;
    frame.capturedLength = length - PCAP_RECORD_HEADER_LENGTH;
    frame.originalLength = view.getUint32(start + 12, littleEndian);
    frame.interfaceId = 0;
    frame.linkType = this.interfaces[0].info.linkType;
    frame.recordOffset = this.consumed;
    frame.dataOffset = this.consumed + PCAP_RECORD_HEADER_LENGTH;
    this.emitFrame();
  }

  private emitFrame(): void {
    this.frameCount += 1;
    const frame = this.frame;
    frame.frameNumber = this.frameCount;
    const snaplen = this.interfaces[frame.interfaceId].info.snaplen;
    frame.exceededSnaplen = isSaneSnaplen(snaplen) && frame.capturedLength > snaplen ? snaplen : 0;
    if (frame.exceededSnaplen > 0) {
      this.aboveSnaplen.frames++;
      if (this.aboveSnaplen.first === 0) {
        this.aboveSnaplen.first = frame.frameNumber;
        this.aboveSnaplen.snaplen = snaplen;
      }
    }
    this.handlers.onFrame(this.frame);
  }

  private processPcapngBlock(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    const trailing = view.getUint32(start + totalLength - 4, this.blockLittleEndian(view, start));
    if (trailing !== totalLength) {
      this.fail('bad-block-length', `trailing block length ${trailing} does not match the leading length ${totalLength}`);
    }
    switch (view.getUint32(start, this.littleEndian)) {
      case PcapngBlockType.EnhancedPacket:
        this.processPacketBlock(bytes, view, start, totalLength, false);
        return;
      case PcapngBlockType.SimplePacket:
        this.processSimplePacket(bytes, view, start, totalLength);
        return;
      case PcapngBlockType.ObsoletePacket:
        this.processPacketBlock(bytes, view, start, totalLength, true);
        return;
      case PcapngBlockType.SectionHeader:
        this.processSectionHeader(bytes, view, start, totalLength);
        return;
      case PcapngBlockType.InterfaceDescription:
        this.processInterfaceDescription(bytes, view, start, totalLength);
        return;
      case PcapngBlockType.InterfaceStatistics:
        this.processInterfaceStatistics(bytes, view, start, totalLength);
        return;
      case PcapngBlockType.DecryptionSecrets:
        this.processDecryptionSecrets(bytes, view, start, totalLength);
        return;
      default:
        // NRB, custom and unknown blocks carry nothing a frame list needs.
        return;
    }
  }

  /** DSB: secrets type (4), secrets length (4), secrets, padding, options. */
  private processDecryptionSecrets(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    if (!this.handlers.onSecrets || totalLength < 20) return;
    const secretsType = view.getUint32(start + 8, this.littleEndian);
    const length = view.getUint32(start + 12, this.littleEndian);
    if (length > totalLength - 20) {
      this.fail('bad-block-length', `decryption secrets length ${length} exceeds its block (${totalLength} bytes)`);
    }
    this.handlers.onSecrets(secretsType, bytes.subarray(start + 16, start + 16 + length));
  }

  /** An SHB declares its own byte order; every other block uses its section's. */
  private blockLittleEndian(view: DataView, start: number): boolean {
    if (view.getUint32(start, false) === PcapngBlockType.SectionHeader) {
      return view.getUint32(start + 8, true) === PCAPNG_BYTE_ORDER_MAGIC;
    }
    return this.littleEndian;
  }

  private processSectionHeader(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    const littleEndian = view.getUint32(start + 8, true) === PCAPNG_BYTE_ORDER_MAGIC;
    const versionMajor = view.getUint16(start + 12, littleEndian);
    const versionMinor = view.getUint16(start + 14, littleEndian);
    if (versionMajor !== 1) this.fail('bad-header', `unsupported pcapng version ${versionMajor}.${versionMinor}`);
    this.littleEndian = littleEndian;
    this.interfaces = [];
    const section: CaptureSection = {
      format: 'pcapng',
      index: this.sectionCount,
      littleEndian,
      versionMajor,
      versionMinor,
      recordOffset: this.consumed,
    };
    this.sectionCount += 1;
    const count = this.readOptions(view, start + 24, start + totalLength - 4);
    for (let i = 0; i < count; i++) {
      const text = () => decodeUtf8(bytes, this.optionStarts[i], this.optionStarts[i] + this.optionLengths[i]);
      switch (this.optionCodes[i]) {
        case PcapngOption.Comment: section.comment ??= text(); break;
        case PcapngOption.ShbHardware: section.hardware = text(); break;
        case PcapngOption.ShbOs: section.os = text(); break;
        case PcapngOption.ShbUserApplication: section.userApplication = text(); break;
      }
    }
    this.handlers.onSection?.(section);
  }

  private processInterfaceDescription(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    const littleEndian = this.littleEndian;
    const info: CaptureInterface = {
      id: this.interfaces.length,
      linkType: view.getUint16(start + 8, littleEndian),
      snaplen: view.getUint32(start + 12, littleEndian),
      tsResolution: 6,
      recordOffset: this.consumed,
    };
    const count = this.readOptions(view, start + 16, start + totalLength - 4);
    for (let i = 0; i < count; i++) {
      const valueStart = this.optionStarts[i];
      const valueLength = this.optionLengths[i];
      const text = () => decodeUtf8(bytes, valueStart, valueStart + valueLength);
      switch (this.optionCodes[i]) {
        case PcapngOption.Comment: info.comment ??= text(); break;
        case PcapngOption.IfName: info.name = text(); break;
        case PcapngOption.IfDescription: info.description = text(); break;
        case PcapngOption.IfOs: info.os = text(); break;
        case PcapngOption.IfHardware: info.hardware = text(); break;
        case PcapngOption.IfTsResolution:
          if (valueLength >= 1) info.tsResolution = bytes[valueStart];
          break;
        case PcapngOption.IfFcsLength:
          // if_fcslen counts bits; the interface reports bytes, like the pcap header's field.
          if (valueLength >= 1) info.fcsLength = bytes[valueStart] >> 3;
          break;
        case PcapngOption.IfTsOffset:
          if (valueLength >= 8) info.tsOffset = this.readInt64(view, valueStart);
          break;
        case PcapngOption.IfFilter:
          // First byte 0 = a libpcap filter string; BPF bytecode is not shown.
          if (valueLength >= 1 && bytes[valueStart] === 0) info.filter = decodeUtf8(bytes, valueStart + 1, valueStart + valueLength);
          break;
      }
    }
    this.interfaces.push({ info, scale: new TimestampScale(info.tsResolution, info.tsOffset ?? 0) });
    this.handlers.onInterface?.(info);
  }

  /**
   * An Enhanced Packet Block, or the obsolete Packet Block (a 16-bit interface id followed by a
   * drops count where the EPB's id is 32 bits); the rest of their layout is the same.
   */
  private processPacketBlock(bytes: Uint8Array, view: DataView, start: number, totalLength: number, obsolete: boolean): void {
    const littleEndian = this.littleEndian;
    const frame = this.frame;
    const interfaceId = obsolete ? view.getUint16(start + 8, littleEndian) : view.getUint32(start + 8, littleEndian);
    const iface = this.interfaces[interfaceId];
    frame.reset(bytes, start + 28);
    frame.interfaceId = interfaceId;
    frame.linkType = iface.info.linkType;
    iface.scale.convert(view.getUint32(start + 12, littleEndian), view.getUint32(start + 16, littleEndian), frame);
    frame.capturedLength = view.getUint32(start + 20, littleEndian);
    frame.originalLength = view.getUint32(start + 24, littleEndian);
    frame.recordOffset = this.consumed;
    frame.dataOffset = this.consumed + 28;
    const optionsStart = start + (obsolete ? OPB_FIXED_LENGTH : EPB_FIXED_LENGTH) - 4 + pad4(frame.capturedLength);
    if (optionsStart < start + totalLength - 4) this.readPacketOptions(bytes, view, optionsStart, start + totalLength - 4);
    this.emitFrame();
  }

  private processSimplePacket(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    const frame = this.frame;
    const iface = this.interfaces[0];
    frame.reset(bytes, start + 12);
    frame.interfaceId = 0;
    frame.linkType = iface.info.linkType;
    frame.hasTimestamp = false;
    frame.tsSeconds = 0;
    frame.tsNanos = 0;
    frame.capturedLength = this.simplePacketCapturedLength(view, start, this.littleEndian, totalLength, iface.info.snaplen);
    frame.originalLength = view.getUint32(start + 8, this.littleEndian);
    frame.recordOffset = this.consumed;
    frame.dataOffset = this.consumed + 12;
    this.emitFrame();
  }

  private readPacketOptions(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    const frame = this.frame;
    const count = this.readOptions(view, start, end);
    for (let i = 0; i < count; i++) {
      const valueStart = this.optionStarts[i];
      const valueLength = this.optionLengths[i];
      if (this.optionCodes[i] === PcapngOption.Comment) {
        const comment = decodeUtf8(bytes, valueStart, valueStart + valueLength);
        if (frame.comments === undefined) {
          frame.comment = comment;
          frame.comments = [comment];
        } else {
          frame.comments.push(comment);
        }
      } else if (this.optionCodes[i] === PcapngOption.PacketFlags && valueLength >= 4) {
        frame.flags = view.getUint32(valueStart, this.littleEndian);
      }
    }
  }

  private processInterfaceStatistics(bytes: Uint8Array, view: DataView, start: number, totalLength: number): void {
    const littleEndian = this.littleEndian;
    const interfaceId = view.getUint32(start + 8, littleEndian);
    const iface = this.interfaces[interfaceId];
    // Statistics for an interface the section never described are meaningless; skip them.
    if (iface === undefined || this.handlers.onStatistics === undefined) return;
    const stats: InterfaceStatistics = { interfaceId, tsSeconds: 0, tsNanos: 0, recordOffset: this.consumed };
    iface.scale.convert(view.getUint32(start + 12, littleEndian), view.getUint32(start + 16, littleEndian), stats);
    const count = this.readOptions(view, start + 20, start + totalLength - 4);
    for (let i = 0; i < count; i++) {
      const valueStart = this.optionStarts[i];
      const hasCounter = this.optionLengths[i] >= 8;
      switch (this.optionCodes[i]) {
        case PcapngOption.Comment:
          stats.comment ??= decodeUtf8(bytes, valueStart, valueStart + this.optionLengths[i]);
          break;
        case PcapngOption.IsbIfReceived: if (hasCounter) stats.received = this.readUint64(view, valueStart); break;
        case PcapngOption.IsbIfDropped: if (hasCounter) stats.dropped = this.readUint64(view, valueStart); break;
        case PcapngOption.IsbFilterAccepted: if (hasCounter) stats.filterAccepted = this.readUint64(view, valueStart); break;
        case PcapngOption.IsbOsDropped: if (hasCounter) stats.osDropped = this.readUint64(view, valueStart); break;
        case PcapngOption.IsbUserDelivered: if (hasCounter) stats.delivered = this.readUint64(view, valueStart); break;
      }
    }
    this.handlers.onStatistics(stats);
  }

  /**
   * Splits an option list into the scratch arrays; returns the option count.
   * An option that runs past its block is damage; a few stray bytes at the end are tolerated.
   */
  private readOptions(view: DataView, start: number, end: number): number {
    let count = 0;
    let position = start;
    while (position + 4 <= end) {
      const code = view.getUint16(position, this.littleEndian);
      const length = view.getUint16(position + 2, this.littleEndian);
      if (code === PcapngOption.EndOfOptions) break;
      const valueStart = position + 4;
      if (valueStart + length > end) {
        this.fail('bad-option', `option ${code} claims ${length} bytes but only ${end - valueStart} remain in the block`);
      }
      if (count === this.optionCodes.length) this.growOptionScratch();
      this.optionCodes[count] = code;
      this.optionStarts[count] = valueStart;
      this.optionLengths[count] = length;
      count += 1;
      position = valueStart + pad4(length);
    }
    return count;
  }

  private growOptionScratch(): void {
    const grow = (old: Int32Array): Int32Array => {
      const grown = new Int32Array(old.length * 2);
      grown.set(old);
      return grown;
    };
    this.optionCodes = grow(this.optionCodes);
    this.optionStarts = grow(this.optionStarts);
    this.optionLengths = grow(this.optionLengths);
  }

  /** Counters above 2^53 lose their low bits; no real counter gets there. */
  private readUint64(view: DataView, offset: number): number {
    const first = view.getUint32(offset, this.littleEndian);
    const second = view.getUint32(offset + 4, this.littleEndian);
    return this.littleEndian ? second * TWO_POW_32 + first : first * TWO_POW_32 + second;
  }

  private readInt64(view: DataView, offset: number): number {
    return Number(view.getBigInt64(offset, this.littleEndian));
  }
}
