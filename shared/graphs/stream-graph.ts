/**
 * TCP stream graph data for one direction of one connection, as columns: what Wireshark's
 * Stevens, tcptrace, throughput, RTT and window-scaling graphs plot. The input is the
 * connection's frames as the engine's index holds them (typed columns, capture order);
 * the output is one table per kind of point, each row naming its frame, so a click on a
 * point selects that frame. Nothing here allocates per frame beyond the output columns,
 * so a 100,000-segment connection costs a few milliseconds.
 */

/** The connection's frames in capture order, one row each (the engine's index, gathered). */
export interface StreamFrames {
  count: number;
  /** Frame numbers (1-based). */
  frame: Uint32Array;
  /** Seconds since the capture's first frame (frame.time_relative). */
  time: Float64Array;
  /** 1: sent by the client. */
  fromClient: Uint8Array;
  /** Relative sequence and acknowledgment numbers (tcp.seq, tcp.ack); ack is meaningful with the ACK flag. */
  seq: Uint32Array;
  ack: Uint32Array;
  /** TCP payload length (tcp.len). */
  len: Uint32Array;
  /** Receive window, scaled when the scale is known (tcp.window_size). */
  window: Uint32Array;
  tcpFlags: Uint16Array;
  /** tcp.analysis.acks_frame (0: none) and bytes_in_flight (0: none). */
  acksFrame: Uint32Array;
  bytesInFlight: Uint32Array;
  /** tcp.analysis.* bits (shared/track/flags.ts). */
  analysis: Uint32Array;
  /** SACK blocks: the row each belongs to and its relative edges. */
  sackRow: Uint32Array;
  sackLeft: Uint32Array;
  sackRight: Uint32Array;
}

export type GraphDirection = 'client' | 'server';

/** One direction's series. Every table's columns have the same length; `frame` names each row's frame. */
export interface StreamGraphColumns {
  /** Segments the sender sent that take sequence space (data, SYN, FIN). */
  segments: {
    frame: Float64Array;
    time: Float64Array;
    /** Relative start and end (tcp.seq, tcp.nxtseq). */
    seq: Float64Array;
    end: Float64Array;
    len: Float64Array;
    /** tcp.analysis.bytes_in_flight after the segment (0: not known). */
    bytesInFlight: Float64Array;
    /** Moving-average throughput at the segment, bits/s: payload bytes of this and the earlier segments sent within the trailing window (t - maWindow, t]. */
    throughput: Float64Array;
    /** 1: a retransmission of any kind. */
    retransmission: Float64Array;
  };
  /** The receiver's ACK-flagged frames. */
  acks: {
    frame: Float64Array;
    time: Float64Array;
    ack: Float64Array;
    /** Scaled receive window, and its right edge (ack + window). */
    window: Float64Array;
    windowEdge: Float64Array;
  };
  /** ACKs with tcp.analysis.ack_rtt: the RTT and the acknowledged segment's sequence number. */
  rtt: {
    frame: Float64Array;
    time: Float64Array;
    /** Seconds. */
    rtt: Float64Array;
    /** tcp.seq of the acknowledged segment (Wireshark's RTT graph plots against it). */
    seq: Float64Array;
    acksFrame: Float64Array;
  };
  /** SACK blocks the receiver reported. */
  sack: {
    frame: Float64Array;
    time: Float64Array;
    left: Float64Array;
    right: Float64Array;
  };
  /** The moving average's window, seconds. */
  maWindow: number;
}

const SYN = 0x002;
const FIN = 0x001;
const ACK = 0x010;
/** RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION (shared/track/flags.ts). */
const RETRANSMISSION_BITS = 0b111;

/** A moving-average window that suits the connection: a twentieth of its span, from 1 ms to 1 s. */
export function defaultMaWindow(frames: StreamFrames): number {
  if (frames.count < 2) return 1;
  const span = frames.time[frames.count - 1] - frames.time[0];
  return Math.min(1, Math.max(0.001, span / 20));
}

/**
 * Builds the series for the data sent by `direction` (and the ACKs, windows and SACK blocks
 * its peer sent back). `maWindow`: the throughput average's window in seconds.
 */
export function buildStreamGraph(frames: StreamFrames, direction: GraphDirection, maWindow = defaultMaWindow(frames)): StreamGraphColumns {
  const senderIsClient = direction === 'client' ? 1 : 0;
  let segments = 0;
  let acks = 0;
  let rtts = 0;
  for (let i = 0; i < frames.count; i++) {
    const fromSender = frames.fromClient[i] === senderIsClient;
    const flags = frames.tcpFlags[i];
    if (fromSender) {
      if (frames.len[i] > 0 || flags & (SYN | FIN)) segments++;
    } else if (flags & ACK) {
      acks++;
      if (frames.acksFrame[i] !== 0) rtts++;
    }
  }
  const seg = {
    frame: new Float64Array(segments),
    time: new Float64Array(segments),
    seq: new Float64Array(segments),
    end: new Float64Array(segments),
    len: new Float64Array(segments),
    bytesInFlight: new Float64Array(segments),
    throughput: new Float64Array(segments),
    retransmission: new Float64Array(segments),
  };
  const ack = { frame: new Float64Array(acks), time: new Float64Array(acks), ack: new Float64Array(acks), window: new Float64Array(acks), windowEdge: new Float64Array(acks) };
  const rtt = { frame: new Float64Array(rtts), time: new Float64Array(rtts), rtt: new Float64Array(rtts), seq: new Float64Array(rtts), acksFrame: new Float64Array(rtts) };
  let s = 0;
  let a = 0;
  let r = 0;
  for (let i = 0; i < frames.count; i++) {
    const flags = frames.tcpFlags[i];
    if (frames.fromClient[i] === senderIsClient) {
      const len = frames.len[i];
      if (len === 0 && !(flags & (SYN | FIN))) continue;
      const seqNo = frames.seq[i];
      seg.frame[s] = frames.frame[i];
      seg.time[s] = frames.time[i];
      seg.seq[s] = seqNo;
      seg.end[s] = seqNo + len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
      seg.len[s] = len;
      seg.bytesInFlight[s] = frames.bytesInFlight[i];
      seg.retransmission[s] = frames.analysis[i] & RETRANSMISSION_BITS ? 1 : 0;
      s++;
    } else if (flags & ACK) {
      ack.frame[a] = frames.frame[i];
      ack.time[a] = frames.time[i];
      ack.ack[a] = frames.ack[i];
      ack.window[a] = frames.window[i];
      ack.windowEdge[a] = frames.ack[i] + frames.window[i];
      a++;
      const acked = frames.acksFrame[i];
      if (acked !== 0) {
        rtt.frame[r] = frames.frame[i];
        rtt.time[r] = frames.time[i];
        rtt.acksFrame[r] = acked;
        r++;
      }
    }
  }
  // RTT: time since the acknowledged frame (tcp.analysis.ack_rtt), against that segment's seq.
  // The acknowledged segment is found by binary search: segment rows are in frame order.
  for (let k = 0; k < r; k++) {
    const row = rowOfFrame(seg.frame, s, rtt.acksFrame[k]);
    rtt.rtt[k] = row < 0 ? 0 : rtt.time[k] - seg.time[row];
    rtt.seq[k] = row < 0 ? 0 : seg.seq[row];
  }
  // Throughput: payload bytes of the segments sent in (t - window, t], per second, in bits.
  let from = 0;
  let bytes = 0;
  for (let k = 0; k < s; k++) {
    bytes += seg.len[k];
    while (seg.time[from] <= seg.time[k] - maWindow) bytes -= seg.len[from++];
    seg.throughput[k] = (bytes * 8) / maWindow;
  }
  // SACK blocks from the receiver.
  let sackCount = 0;
  for (let k = 0; k < frames.sackRow.length; k++) if (frames.fromClient[frames.sackRow[k]] !== senderIsClient) sackCount++;
  const sack = { frame: new Float64Array(sackCount), time: new Float64Array(sackCount), left: new Float64Array(sackCount), right: new Float64Array(sackCount) };
  let b = 0;
  for (let k = 0; k < frames.sackRow.length; k++) {
    const row = frames.sackRow[k];
    if (frames.fromClient[row] === senderIsClient) continue;
    sack.frame[b] = frames.frame[row];
    sack.time[b] = frames.time[row];
    sack.left[b] = frames.sackLeft[k];
    sack.right[b] = frames.sackRight[k];
    b++;
  }
  return { segments: seg, acks: ack, rtt: rtt, sack, maWindow };
}

/** The row of `frameNumber` among the first `count` ascending frame numbers, or -1. */
function rowOfFrame(frames: Float64Array, count: number, frameNumber: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const f = frames[mid];
    if (f === frameNumber) return mid;
    if (f < frameNumber) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** An empty StreamFrames of `count` rows (and `sacks` SACK blocks), for a gatherer to fill. */
export function allocateStreamFrames(count: number, sacks: number): StreamFrames {
  return {
    count,
    frame: new Uint32Array(count),
    time: new Float64Array(count),
    fromClient: new Uint8Array(count),
    seq: new Uint32Array(count),
    ack: new Uint32Array(count),
    len: new Uint32Array(count),
    window: new Uint32Array(count),
    tcpFlags: new Uint16Array(count),
    acksFrame: new Uint32Array(count),
    bytesInFlight: new Uint32Array(count),
    analysis: new Uint32Array(count),
    sackRow: new Uint32Array(sacks),
    sackLeft: new Uint32Array(sacks),
    sackRight: new Uint32Array(sacks),
  };
}
