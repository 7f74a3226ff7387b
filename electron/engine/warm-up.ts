/**
 * Warm-up: before any window asks, the engine indexes a small generated capture and serves it
 * the way a window would (rows, a filter, a frame's detail, the connections, a ladder). The
 * first real file then runs on compiled code: its first rows arrive in about a third of the
 * time (cold, the first few hundred frames spend most of their time being compiled).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tcpFrame, encodeFrame, linuxSynOptions, udpFrame } from '../../shared/craft';
import { LINKTYPE_ETHERNET } from '../../shared/wire/linktypes';
import { createCaptureFileWriter } from './capture-file';
import { createSessionState, FileSession } from './session';

const CONNECTIONS = 24;
const DATA_SEGMENTS = 6;

/** A few dozen complete IPv4 and IPv6 connections (handshake, data both ways, FIN teardown) and some UDP. */
export function writeWarmUpCapture(file: string): void {
  const writer = createCaptureFileWriter(file, 'pcapng', { interfaces: [{ linkType: LINKTYPE_ETHERNET }] });
  let nanos = 0;
  const write = (data: Uint8Array) => {
    nanos += 250_000;
    writer.writeFrame({ tsSeconds: 1_700_000_000 + Math.floor(nanos / 1e9), tsNanos: nanos % 1e9, data });
  };
  try {
    for (let c = 0; c < CONNECTIONS; c++) {
      const v6 = c % 3 === 2;
      const client = { src: v6 ? `2001:db8::${c + 1}` : `198.18.0.${c + 1}`, dst: v6 ? '2001:db8::ffff' : '198.18.1.1', srcPort: 40000 + c, dstPort: 443 };
      const server = { src: client.dst, dst: client.src, srcPort: client.dstPort, dstPort: client.srcPort };
      let clientSeq = 1000 * (c + 1);
      let serverSeq = 5000 * (c + 1);
      write(encodeFrame(tcpFrame({ ...client, flags: 'S', seq: clientSeq++, options: linuxSynOptions() })));
      write(encodeFrame(tcpFrame({ ...server, flags: 'SA', seq: serverSeq++, ack: clientSeq, options: linuxSynOptions() })));
      write(encodeFrame(tcpFrame({ ...client, flags: 'A', seq: clientSeq, ack: serverSeq })));
      for (let d = 0; d < DATA_SEGMENTS; d++) {
        const payload = new Uint8Array(100 + d * 10).fill(0x41 + d);
        write(encodeFrame(tcpFrame({ ...client, flags: 'PA', seq: clientSeq, ack: serverSeq, payload })));
        clientSeq += payload.length;
        write(encodeFrame(tcpFrame({ ...server, flags: 'A', seq: serverSeq, ack: clientSeq })));
      }
      write(encodeFrame(tcpFrame({ ...client, flags: 'FA', seq: clientSeq++, ack: serverSeq })));
      write(encodeFrame(tcpFrame({ ...server, flags: 'FA', seq: serverSeq++, ack: clientSeq })));
      write(encodeFrame(tcpFrame({ ...client, flags: 'A', seq: clientSeq, ack: serverSeq })));
      write(encodeFrame(udpFrame({ src: client.src, dst: client.dst, srcPort: 5353, dstPort: 53, payload: new Uint8Array(20) })));
    }
  } finally {
    writer.close();
  }
}

export type WarmUpOutcome = { ok: true; frames: number; connections: number } | { ok: false; error: string };

/** Runs the warm-up once. Never throws: a failed warm-up only leaves the code cold. */
export async function warmUpEngine(): Promise<WarmUpOutcome> {
  let dir: string | null = null;
  let session: FileSession | null = null;
  try {
    dir = mkdtempSync(path.join(os.tmpdir(), 'handshake-warm-up-'));
    const file = path.join(dir, 'warm-up.pcapng');
    writeWarmUpCapture(file);
    session = new FileSession('warm-up', file, () => undefined, null, createSessionState());
    await session.open();
    await session.whenIndexed();
    const { frames } = await session.rows(0, 100, '');
    await session.rows(0, 100, 'tcp.flags.syn == 1 && tcp.port == 443');
    for (const i of [0, 1, 2, 3, frames - 1]) await session.frame(i);
    const { connections } = session.connections();
    session.ladder(0, 5000);
    return { ok: true, frames, connections: connections.length };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await session?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
