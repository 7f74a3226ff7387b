/**
 * The compact per-frame index of a session: parallel typed-array columns that grow fourfold
 * (untouched capacity costs no memory), about 60 bytes per frame, never one object per frame.
 * A row, a filter or a detail request reads these columns and re-reads the frame's bytes by offset.
 */
import { elapsedSeconds } from '../../shared/files/timestamp';
import type { CaptureFrame } from '../../shared/files';

function grow<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(column: T, capacity: number): T {
  const Constructor = column.constructor as new (length: number) => T;
  const next = new Constructor(capacity);
  next.set(column);
  return next;
}

export class FrameIndex {
  count = 0;
  private capacity: number;
  /** Offset of the frame's first byte in the (decompressed) file. */
  dataOffset: Float64Array;
  /** Timestamp: whole seconds and nanoseconds apart, as the files keep them. */
  tsSeconds: Float64Array;
  tsNanos: Uint32Array;
  capturedLength: Uint32Array;
  originalLength: Uint32Array;
  linkType: Uint16Array;
  /** tcp.stream, or -1. */
  stream: Int32Array;
  /** The previous frame of the same tcp.stream, plus 1 (0: the stream's first frame, or untracked). */
  streamPrevious: Uint32Array;
  /** ROW_MARK bits. */
  marks: Uint16Array;
  /** IP protocol number (6 TCP, 17 UDP …), 255 for none. */
  protocol: Uint8Array;
  tcpFlags: Uint16Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  /** Sequence/ack numbers relative to each side's ISN (tracked frames), else raw. */
  relSeq: Uint32Array;
  relAck: Uint32Array;
  payloadLength: Uint32Array;
  /** TCP window: scaled when the tracker knows the scale, else as on the wire. */
  window: Uint32Array;
  /** 0 sent by the client, 1 by the server, 2 not part of a tracked connection. */
  direction: Uint8Array;
  /** 4, 6, or 0 without an IP layer. */
  ipVersion: Uint8Array;
  /** Source and destination IP addresses as ids into `addresses` (interned text). */
  srcAddress: Uint32Array;
  dstAddress: Uint32Array;
  /** Address texts by id; id 0 is "no address". */
  readonly addresses: string[] = [''];
  /** Ethernet source and destination as ids into `macs` (0: not Ethernet). */
  srcMac: Uint32Array;
  dstMac: Uint32Array;
  readonly macs: string[] = [''];
  /** Bit set of tcp.analysis.* flags (shared/track/flags.ts `Analysis`). */
  analysis: Uint32Array;
  /** Packet comments (pcapng opt_comment, or added in the UI) by frame: few frames have one. */
  readonly comments = new Map<number, readonly string[]>();
  /** tcp.analysis.acks_frame (frame number, 0: none); the ACK's RTT is the time since that frame. */
  acksFrame: Uint32Array;
  /** tcp.analysis.bytes_in_flight (0: none). */
  bytesInFlight: Uint32Array;
  /** The capture point (interface) the frame was seen at: an index into `points`, counted across sections. */
  point: Uint16Array;
  /** Each capture point's name (its IDB's if_name; empty when it has none), in file order. */
  readonly points: string[] = [];
  /** Where the current section's interface ids start in `points` (a new SHB restarts them at 0). */
  private sectionBase = 0;

  constructor(initialCapacity = 4096) {
    this.capacity = initialCapacity;
    this.dataOffset = new Float64Array(initialCapacity);
    this.tsSeconds = new Float64Array(initialCapacity);
    this.tsNanos = new Uint32Array(initialCapacity);
    this.capturedLength = new Uint32Array(initialCapacity);
    this.originalLength = new Uint32Array(initialCapacity);
    this.linkType = new Uint16Array(initialCapacity);
    this.stream = new Int32Array(initialCapacity);
    this.streamPrevious = new Uint32Array(initialCapacity);
    this.marks = new Uint16Array(initialCapacity);
    this.protocol = new Uint8Array(initialCapacity);
    this.tcpFlags = new Uint16Array(initialCapacity);
    this.srcPort = new Uint16Array(initialCapacity);
    this.dstPort = new Uint16Array(initialCapacity);
    this.relSeq = new Uint32Array(initialCapacity);
    this.relAck = new Uint32Array(initialCapacity);
    this.payloadLength = new Uint32Array(initialCapacity);
    this.window = new Uint32Array(initialCapacity);
    this.direction = new Uint8Array(initialCapacity);
    this.ipVersion = new Uint8Array(initialCapacity);
    this.srcAddress = new Uint32Array(initialCapacity);
    this.dstAddress = new Uint32Array(initialCapacity);
    this.analysis = new Uint32Array(initialCapacity);
    this.acksFrame = new Uint32Array(initialCapacity);
    this.bytesInFlight = new Uint32Array(initialCapacity);
    this.srcMac = new Uint32Array(initialCapacity);
    this.dstMac = new Uint32Array(initialCapacity);
    this.point = new Uint16Array(initialCapacity);
  }

  /** A new section: its interface ids start again at 0. */
  startSection(): void {
    this.sectionBase = this.points.length;
  }

  /** An interface of the current section; the 65536th and later share the last slot. */
  addPoint(name: string | undefined): void {
    if (this.points.length < 0xffff) this.points.push(name?.trim() ?? '');
  }

  /** Reserves the next slot and returns its index. */
  append(): number {
    if (this.count === this.capacity) {
      const capacity = this.capacity * 4;
      this.dataOffset = grow(this.dataOffset, capacity);
      this.tsSeconds = grow(this.tsSeconds, capacity);
      this.tsNanos = grow(this.tsNanos, capacity);
      this.capturedLength = grow(this.capturedLength, capacity);
      this.originalLength = grow(this.originalLength, capacity);
      this.linkType = grow(this.linkType, capacity);
      this.stream = grow(this.stream, capacity);
      this.streamPrevious = grow(this.streamPrevious, capacity);
      this.marks = grow(this.marks, capacity);
      this.protocol = grow(this.protocol, capacity);
      this.tcpFlags = grow(this.tcpFlags, capacity);
      this.srcPort = grow(this.srcPort, capacity);
      this.dstPort = grow(this.dstPort, capacity);
      this.relSeq = grow(this.relSeq, capacity);
      this.relAck = grow(this.relAck, capacity);
      this.payloadLength = grow(this.payloadLength, capacity);
      this.window = grow(this.window, capacity);
      this.direction = grow(this.direction, capacity);
      this.ipVersion = grow(this.ipVersion, capacity);
      this.srcAddress = grow(this.srcAddress, capacity);
      this.dstAddress = grow(this.dstAddress, capacity);
      this.analysis = grow(this.analysis, capacity);
      this.acksFrame = grow(this.acksFrame, capacity);
      this.bytesInFlight = grow(this.bytesInFlight, capacity);
      this.srcMac = grow(this.srcMac, capacity);
      this.dstMac = grow(this.dstMac, capacity);
      this.point = grow(this.point, capacity);
      this.capacity = capacity;
    }
    return this.count++;
  }

  /** Appends a frame read from the file: where its bytes are, when it was captured, its lengths and link type. */
  appendFrame(frame: CaptureFrame): number {
    const i = this.append();
    this.dataOffset[i] = frame.dataOffset;
    this.tsSeconds[i] = frame.tsSeconds;
    this.tsNanos[i] = frame.tsNanos;
    this.capturedLength[i] = frame.capturedLength;
    this.originalLength[i] = frame.originalLength;
    this.linkType[i] = frame.linkType;
    if (frame.comments !== undefined && frame.comments.length > 0) this.comments.set(i, frame.comments);
    this.point[i] = Math.min(this.sectionBase + frame.interfaceId, 0xfffe);
    return i;
  }

  /** Seconds between frame `index` and the first frame. */
  relativeTime(index: number): number {
    if (this.count === 0) return 0;
    return this.secondsBetween(0, index);
  }

  /** Seconds from frame `from` to frame `to`, exact to the nanosecond. */
  secondsBetween(from: number, to: number): number {
    return elapsedSeconds(this.tsSeconds[from], this.tsNanos[from], this.tsSeconds[to], this.tsNanos[to]);
  }
}

/** A growable list of frame indices (the frames passing one display filter). */
export class IndexList {
  length = 0;
  private items = new Uint32Array(1024);

  push(value: number): void {
    if (this.length === this.items.length) {
      const next = new Uint32Array(this.items.length * 2);
      next.set(this.items);
      this.items = next;
    }
    this.items[this.length++] = value;
  }

  at(position: number): number {
    return this.items[position];
  }

  /** Position of `value` in this ascending list, or -1. */
  positionOf(value: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const item = this.items[middle];
      if (item === value) return middle;
      if (item < value) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}
