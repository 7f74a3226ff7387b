/**
 * The shapes the capture-file readers emit and the writers accept.
 * Environment-neutral: Uint8Array/DataView only.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** One frame as read from a file. The reader reuses ONE record for every frame. */
export interface CaptureFrame {
  /** 1-based position of the frame in the file. */
  readonly frameNumber: number;
  /** Index of the interface within the current pcapng section (always 0 for pcap). */
  readonly interfaceId: number;
  /** LINKTYPE_* of the frame's interface (the FCS bits of a pcap header are masked off). */
  readonly linkType: number;
  /** Whole seconds since the epoch (if_tsoffset already applied). */
  readonly tsSeconds: number;
  /** 0 … 999,999,999. Kept apart from tsSeconds because a float of epoch nanoseconds loses precision. */
  readonly tsNanos: number;
  /** False for a pcapng Simple Packet Block, which has no timestamp (tsSeconds/tsNanos are then 0). */
  readonly hasTimestamp: boolean;
  readonly capturedLength: number;
  readonly originalLength: number;
  /**
   * The captured bytes. A view that is valid ONLY during the onFrame callback: copy what you keep.
   * Created lazily on first access; the allocation-free way is `buffer` + `bufferOffset`.
   */
  readonly data: Uint8Array;
  /** The array the packet bytes currently live in, at bufferOffset … bufferOffset + capturedLength. */
  readonly buffer: Uint8Array;
  readonly bufferOffset: number;
  /** Byte offset of the record header / block start in the (decompressed) stream. */
  readonly recordOffset: number;
  /** Byte offset of the first packet byte in the (decompressed) stream, for re-reading one frame later. */
  readonly dataOffset: number;
  /** The first opt_comment of the block, if any. */
  readonly comment: string | undefined;
  /** Every opt_comment of the block, in order, when there is at least one. */
  readonly comments: readonly string[] | undefined;
  /** epb_flags / pack_flags word (direction, reception type, FCS length, errors), when present. */
  readonly flags: number | undefined;
  /**
   * The interface's snaplen when the captured length is above it (0 otherwise). libpcap and
   * tshark read such records, and so does this reader, up to MAX_CAPTURED_LENGTH.
   */
  readonly exceededSnaplen: number;
}

/** An interface description: the pcap file header, or a pcapng IDB. */
/** What tshark calls an interface whose pcapng block has no if_name (frame.interface_name). */
export const UNNAMED_INTERFACE = 'unknown';

export interface CaptureInterface {
  /** Index within its section, as EPBs reference it. */
  id: number;
  linkType: number;
  /** 0 means "no limit". */
  snaplen: number;
  name?: string;
  description?: string;
  /**
   * The if_tsresol byte: bit 7 clear = 10^-n seconds, bit 7 set = 2^-n seconds.
   * pcap µs files report 6, pcap ns files 9.
   */
  tsResolution: number;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsOffset?: number;
  os?: string;
  /** if_filter, when it is a libpcap filter string. */
  filter?: string;
  hardware?: string;
  /** FCS bytes at the end of each frame, when the file says so (pcap link-type FCS bits, pcapng if_fcslen). */
  fcsLength?: number;
  comment?: string;
  /** Offset of the pcap header / IDB in the stream. */
  recordOffset: number;
}

/** The pcap file header, or a pcapng SHB (a new SHB starts a new section and resets interfaces). */
export interface CaptureSection {
  format: CaptureFormat;
  /** 0 for pcap; counts pcapng sections from 0. */
  index: number;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  hardware?: string;
  os?: string;
  userApplication?: string;
  comment?: string;
  recordOffset: number;
}

/** Counters from a pcapng Interface Statistics Block; absent counters are undefined. */
export interface InterfaceStatistics {
  interfaceId: number;
  tsSeconds: number;
  tsNanos: number;
  received?: number;
  dropped?: number;
  filterAccepted?: number;
  osDropped?: number;
  delivered?: number;
  comment?: string;
  recordOffset: number;
}

export interface CaptureHandlers {
  onFrame(frame: CaptureFrame): void;
  onSection?(section: CaptureSection): void;
  /** Called once per interface, before the first frame that uses it. */
  onInterface?(iface: CaptureInterface): void;
  onStatistics?(stats: InterfaceStatistics): void;
  /**
   * A Decryption Secrets Block (pcapng §4.7): its secrets type (0x544c534b 'TLSK' is NSS
   * key-log text) and data, a view valid only during the call. It may come before the frames it decrypts.
   */
  onSecrets?(secretsType: number, data: Uint8Array): void;
}

export type CaptureDamageKind =
  | 'empty'
  | 'bad-magic'
  | 'bad-header'
  | 'bad-block-length'
  | 'caplen-too-large'
  | 'missing-interface'
  | 'bad-option'
  | 'bad-compression'
  | 'truncated';

/**
 * A file that could not be read past some point. Everything before `offset` was emitted.
 * `frameNumber` is the number the first frame not read would have had.
 */
export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';
  constructor(
    readonly kind: CaptureDamageKind,
    readonly offset: number,
    readonly frameNumber: number,
    readonly reason: string,
  ) {
    super(`damaged at byte ${offset} (frame ${frameNumber}): ${reason}`);
  }
}

/** What a writer needs to describe an interface. */
export interface InterfaceToWrite {
  linkType: number;
  /** Defaults to MAX_CAPTURED_LENGTH. */
  snaplen?: number;
  name?: string;
  description?: string;
  os?: string;
  filter?: string;
  /** Timestamp precision of the output; default 'ns'. pcap-µs and if_tsresol 6 round down. */
  resolution?: 'us' | 'ns';
}

/** What a writer needs for one frame. A CaptureFrame from a reader satisfies it. */
export interface FrameToWrite {
  interfaceId?: number;
  /** When given, a pcap writer checks it matches its one link type. */
  linkType?: number;
  tsSeconds: number;
  tsNanos: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  originalLength?: number;
  comment?: string;
  comments?: readonly string[];
  flags?: number;
}

export interface SectionToWrite {
  hardware?: string;
  os?: string;
  userApplication?: string;
  comment?: string;
}

/** Receives each complete record/block as one chunk, in order. */
export type ChunkSink = (chunk: Uint8Array) => void;

/** Largest captured length accepted from a file or written to one (libpcap's MAXIMUM_SNAPLEN). */
export const MAX_CAPTURED_LENGTH = 262144;
