/**
 * Node adapter for shared/files: streams capture files from disk (plain or gzip),
 * writes them block by block with synchronous appends, converts between formats,
 * and re-reads single frames by byte offset.
 */
import { closeSync, createReadStream, fsyncSync, openSync, readSync, realpathSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import {
  CaptureFileError,
  CaptureReader,
  type AboveSnaplen,
  PcapngWriter,
  PcapWriter,
  type CaptureFormat,
  type CaptureFrame,
  type CaptureHandlers,
  type CaptureInterface,
  type FrameToWrite,
  type InterfaceToWrite,
  type SectionToWrite,
} from '../../shared/files';
import { openWriteTarget, type TargetOptions } from './safe-target';

/** Bytes read from disk per step: bounds memory for any file size. */
const DEFAULT_CHUNK_SIZE = 1024 * 1024;
/** Bytes per read while the consumer is holding reading back (see readCaptureFile). */
const PAUSED_CHUNK_SIZE = 64 * 1024;

export interface ReadCaptureFileOptions {
  signal?: AbortSignal;
  /** Bytes per read; default 1 MiB. */
  chunkSize?: number;
  /** gzip input only: each decompressed chunk, before its frames are delivered. */
  onDecompressed?: (chunk: Uint8Array) => void;
  /**
   * Asked after each chunk's frames were delivered: a promise pauses reading until it
   * resolves (a consumer's backpressure, e.g. stdout to a slow reader); null goes on.
   */
  whenReady?: () => Promise<void> | null;
}

export interface CaptureFileReadResult {
  /** Undefined only when the file was too damaged to tell. */
  format: CaptureFormat | undefined;
  /** True for gzip input: offsets in frames then refer to the decompressed stream, not the file. */
  compressed: boolean;
  frames: number;
  /** Bytes of the (decompressed) stream that formed complete records. */
  bytesParsed: number;
  /** Set when the file is damaged; everything before damage.offset was delivered. */
  damage: CaptureFileError | undefined;
  /** Records longer than their header's snaplen, read anyway. */
  aboveSnaplen: AboveSnaplen;
}

const isGzip = (bytes: Uint8Array, length: number): boolean => length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Streams a pcap/pcapng file (optionally gzip-compressed) through the handlers.
 * Resolves with the damage, if any, instead of rejecting: a partly damaged file is
 * read up to the damage. Rejects for I/O errors, an aborted signal, or a handler that throws.
 */
export async function readCaptureFile(path: string, handlers: CaptureHandlers, options: ReadCaptureFileOptions = {}): Promise<CaptureFileReadResult> {
  const { signal } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  signal?.throwIfAborted();
  const reader = new CaptureReader(handlers);
  const result = (compressed: boolean, damage: CaptureFileError | undefined): CaptureFileReadResult => ({
    format: reader.format,
    compressed,
    frames: reader.framesRead,
    bytesParsed: reader.bytesParsed,
    damage,
    aboveSnaplen: { ...reader.framesAboveSnaplen },
  });

  const handle = await open(path, 'r');
  let compressed = false;
  // Two buffers, used in turn: the next read runs on libuv's thread pool while this chunk is
  // parsed. The reader copies only records that straddle reads, so a pushed buffer is free again.
  let ahead: Promise<number> | null = null;
  try {
    const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
    let position = 0;
    // While the consumer holds reading back (whenReady gave a promise), reads shrink to
    // PAUSED_CHUNK_SIZE: a chunk's frames are all delivered before it is asked again, so a consumer
    // that keeps frames until some asynchronous work ends (decode's QUIC analysis) holds a small
    // chunk's worth instead of a megabyte's. Reads start that small too (the first chunk's
    // frames come before the consumer is first asked) and double while it keeps up.
    let readSize = Math.min(chunkSize, PAUSED_CHUNK_SIZE);
    let requested = chunkSize;
    const readInto = (buffer: Uint8Array): Promise<number> => {
      const at = position;
      requested = readSize;
      const pending = handle.read(buffer, 0, requested, at).then(({ bytesRead }) => bytesRead);
      position += requested;
      return pending;
    };
    let bytesRead = await readInto(buffers[0]);
    compressed = isGzip(buffers[0], bytesRead);
    if (!compressed) {
      for (let turn = 0; bytesRead > 0; turn ^= 1) {
        // A short read means the end of the file as it was: read on from where it stopped.
        if (bytesRead < requested) position -= requested - bytesRead;
        ahead = readInto(buffers[turn ^ 1]);
        reader.push(buffers[turn].subarray(0, bytesRead));
        signal?.throwIfAborted();
        const paused = options.whenReady?.();
        if (paused) {
          readSize = Math.min(chunkSize, PAUSED_CHUNK_SIZE);
          await paused;
        } else readSize = Math.min(chunkSize, readSize * 2);
        bytesRead = await ahead;
        ahead = null;
      }
      reader.end();
      return result(false, undefined);
    }
  } catch (error) {
    if (error instanceof CaptureFileError) return result(compressed, error);
    throw error;
  } finally {
    // Never close the file under a read still in flight.
    await ahead?.catch(() => 0);
    await handle.close();
  }
  return readGzipCaptureFile(path, reader, chunkSize, signal, options, result);
}

async function readGzipCaptureFile(
  path: string,
  reader: CaptureReader,
  chunkSize: number,
  signal: AbortSignal | undefined,
  { onDecompressed, whenReady }: ReadCaptureFileOptions,
  result: (compressed: boolean, damage: CaptureFileError | undefined) => CaptureFileReadResult,
): Promise<CaptureFileReadResult> {
  const source = createReadStream(path, { highWaterMark: chunkSize });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    try {
      for await (const chunk of gunzip) {
        onDecompressed?.(chunk as Buffer);
        reader.push(chunk as Buffer);
        signal?.throwIfAborted();
        // Not pulling the next chunk pauses the inflater and the file behind it.
        const paused = whenReady?.();
        if (paused) await paused;
      }
    } catch (error) {
      if (error instanceof CaptureFileError) throw error;
      // zlib reports a corrupt or cut-off stream with a Z_* / ERR_* code; I/O errors keep theirs.
      const code: unknown = (error as { code?: unknown }).code;
      if (typeof code === 'string' && (code.startsWith('Z_') || code === 'ERR_STREAM_PREMATURE_CLOSE')) {
        throw new CaptureFileError('bad-compression', reader.bytesParsed, reader.framesRead + 1, `gzip stream is damaged: ${(error as Error).message}`);
      }
      throw error;
    }
    reader.end();
    return result(true, undefined);
  } catch (error) {
    if (error instanceof CaptureFileError) return result(true, error);
    throw error;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

export interface CaptureFileWriterOptions {
  /** Interfaces to declare up front (pcap: the one link type; needed before the first frame). */
  interfaces?: InterfaceToWrite[];
  /** pcapng section header options. */
  section?: SectionToWrite;
  /** fsync after every block: survives power loss, not just a crash, at a large cost. Default false. */
  fsyncEachBlock?: boolean;
  /** A target named through the API: refuse existing files (unless overwrite) and symbolic links. */
  target?: TargetOptions;
}

export interface CaptureFileWriter {
  readonly path: string;
  readonly format: CaptureFormat;
  /** pcapng: adds an IDB. pcap: the first call writes the header; later calls must repeat its link type. */
  addInterface(iface: InterfaceToWrite): number;
  /** Appends one frame synchronously: once this returns, the block is in the file. */
  writeFrame(frame: FrameToWrite): void;
  /** pcapng: a Decryption Secrets Block; pcap has nowhere to keep one, so it is not written (false). */
  writeSecrets(data: Uint8Array, secretsType: number): boolean;
  readonly framesWritten: number;
  readonly bytesWritten: number;
  close(): void;
}

/**
 * Creates (truncates) a capture file and returns a writer that appends each block
 * with writeSync, so a crash never leaves a partial block behind a complete one.
 */
export function createCaptureFileWriter(path: string, format: CaptureFormat, options: CaptureFileWriterOptions = {}): CaptureFileWriter {
  const fd = options.target ? openWriteTarget(path, options.target) : openSync(path, 'w');
  let closed = false;
  let bytesWritten = 0;
  let framesWritten = 0;
  const sink = (chunk: Uint8Array): void => {
    if (closed) throw new Error(`capture file ${path} is closed`);
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    if (options.fsyncEachBlock) fsyncSync(fd);
    bytesWritten += chunk.length;
  };

  try {
    let pcapWriter: PcapWriter | undefined;
    const pcapngWriter = format === 'pcapng' ? new PcapngWriter(sink, options.section) : undefined;
    const addInterface = (iface: InterfaceToWrite): number => {
      if (pcapngWriter) return pcapngWriter.addInterface(iface);
      if (pcapWriter === undefined) {
        pcapWriter = new PcapWriter(sink, iface);
      } else if (iface.linkType !== pcapWriter.linkType) {
        throw new RangeError(`a pcap file holds one link type (${pcapWriter.linkType}); cannot add link type ${iface.linkType}`);
      }
      return 0;
    };
    for (const iface of options.interfaces ?? []) addInterface(iface);

    return {
      path,
      format,
      addInterface,
      writeFrame(frame: FrameToWrite): void {
        if (pcapngWriter) pcapngWriter.writeFrame(frame);
        else if (pcapWriter) pcapWriter.writeFrame(frame);
        else throw new Error('pcap writer needs an interface (link type) before the first frame');
        framesWritten += 1;
      },
      writeSecrets(data: Uint8Array, secretsType: number): boolean {
        if (!pcapngWriter) return false;
        pcapngWriter.writeSecrets(data, secretsType);
        return true;
      },
      get framesWritten() {
        return framesWritten;
      },
      get bytesWritten() {
        return bytesWritten;
      },
      close(): void {
        if (closed) return;
        closed = true;
        closeSync(fd);
      },
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export interface ConvertCaptureFileOptions {
  /** Output timestamp precision; default: µs if the first source interface is µs, else ns. */
  resolution?: 'us' | 'ns';
  section?: SectionToWrite;
  signal?: AbortSignal;
  target?: TargetOptions;
  /** Writes only the frames (0-based positions in the source) this accepts; default all. */
  select?: (frameIndex: number) => boolean;
  /** The comments to write for a frame instead of its own (comments edited in the UI); undefined keeps its own. */
  comments?: (frameIndex: number) => readonly string[] | undefined;
  /**
   * pcapng: keep the source's Decryption Secrets Blocks, each once, ahead of every packet (a
   * single-pass reader such as tshark applies a block only to the packets after it, and a live
   * spool holds a key log's secrets after the records they open). Costs one more read of the source.
   */
  keepSecrets?: boolean;
}

export interface CaptureFileConvertResult extends CaptureFileReadResult {
  framesWritten: number;
}

/**
 * "Save as": streams `sourcePath` (any readable format, gzip too) into a new pcap or
 * pcapng file. A damaged source is converted up to the damage, which is reported.
 * pcapng sections are flattened into one; pcap output needs a single link type.
 */
export async function convertCaptureFile(
  sourcePath: string,
  targetPath: string,
  format: CaptureFormat,
  options: ConvertCaptureFileOptions = {},
): Promise<CaptureFileConvertResult> {
  if (sameFile(sourcePath, targetPath)) throw new Error(`cannot convert ${sourcePath} onto itself`);
  const writer = createCaptureFileWriter(targetPath, format, { section: options.section, target: options.target });
  // Source (section-local) interface id → output interface id.
  let interfaceMap: number[] = [];
  const outgoing: FrameToWrite = { interfaceId: 0, tsSeconds: 0, tsNanos: 0, data: new Uint8Array(0), originalLength: 0 };
  const select = options.select;
  let frameIndex = 0;
  try {
    // Written after the interfaces that precede the first packet: editcap cannot copy a file
    // whose first block after the section header is not an interface.
    let secrets: Array<{ type: number; data: Uint8Array }> = [];
    if (options.keepSecrets && format === 'pcapng') {
      const seen = new Set<string>();
      await readCaptureFile(
        sourcePath,
        {
          onSecrets(type, data) {
            const key = `${type}:${Buffer.from(data).toString('base64')}`;
            if (seen.has(key)) return;
            seen.add(key);
            secrets.push({ type, data: Uint8Array.from(data) });
          },
          onFrame() {},
        },
        { signal: options.signal },
      );
    }
    const writeSecrets = () => {
      for (const { type, data } of secrets) writer.writeSecrets(data, type);
      secrets = [];
    };
    const read = await readCaptureFile(
      sourcePath,
      {
        onSection() {
          interfaceMap = [];
        },
        onInterface(iface: CaptureInterface) {
          const resolution = options.resolution ?? (iface.tsResolution === 6 ? 'us' : 'ns');
          interfaceMap[iface.id] = writer.addInterface({
            linkType: iface.linkType,
            snaplen: iface.snaplen,
            name: iface.name,
            description: iface.description,
            os: iface.os,
            filter: iface.filter,
            resolution,
          });
        },
        onFrame(frame: CaptureFrame) {
          if (secrets.length > 0) writeSecrets();
          const position = frameIndex++;
          if (select && !select(position)) return;
          outgoing.interfaceId = interfaceMap[frame.interfaceId];
          outgoing.linkType = frame.linkType;
          outgoing.tsSeconds = frame.tsSeconds;
          outgoing.tsNanos = frame.tsNanos;
          outgoing.data = frame.data;
          outgoing.originalLength = frame.originalLength;
          outgoing.comments = (options.comments && options.comments(position)) ?? frame.comments;
          outgoing.flags = frame.flags;
          writer.writeFrame(outgoing);
        },
      },
      { signal: options.signal },
    );
    writeSecrets();
    return { ...read, framesWritten: writer.framesWritten };
  } finally {
    writer.close();
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * Random access for an indexed, uncompressed capture: reads `length` bytes at a
 * frame's `dataOffset` synchronously. One open descriptor, reused.
 */
export class CaptureFileFrameReader {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** Fills `target` (or a new array) with the frame bytes; throws if the file is shorter. */
  read(dataOffset: number, length: number, target: Uint8Array = new Uint8Array(length)): Uint8Array {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    if (target.length < length) throw new RangeError(`target holds ${target.length} bytes, ${length} requested`);
    let done = 0;
    while (done < length) {
      const count = readSync(this.fd, target, done, length - done, dataOffset + done);
      if (count === 0) throw new RangeError(`${this.path} ends before byte ${dataOffset + length}`);
      done += count;
    }
    return target.subarray(0, length);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
