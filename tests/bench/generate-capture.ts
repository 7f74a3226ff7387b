/**
 * Generates the benchmark capture: N frames of mixed IPv4/IPv6 TCP over Ethernet,
 * thousands of concurrent connections, each with a full handshake, data both ways
 * and a FIN teardown, written as pcapng with nanosecond timestamps.
 *
 * usage: generate-capture.ts OUT.pcapng [FRAMES=1000000] [CONCURRENT=4000]
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const [outPath, framesArg, concurrentArg] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: generate-capture OUT.pcapng [FRAMES] [CONCURRENT]');
  process.exit(2);
}
const totalFrames = Number(framesArg ?? 1_000_000);
const concurrent = Number(concurrentArg ?? 4000);

// Deterministic PRNG so every run measures the same file.
let prngState = 0x9e3779b9;
function random(): number {
  prngState ^= prngState << 13;
  prngState ^= prngState >>> 17;
  prngState ^= prngState << 5;
  return (prngState >>> 0) / 0x1_0000_0000;
}

function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Connection {
  v6: boolean;
  client: Uint8Array;
  server: Uint8Array;
  clientPort: number;
  serverPort: number;
  clientSeq: number;
  serverSeq: number;
  script: Array<[fromClient: boolean, flags: number, length: number]>;
  step: number;
}

const FIN = 1, SYN = 2, PSH = 8, ACK = 16;
let nextPort = 1024;
let hostCounter = 1;

function newConnection(): Connection {
  const v6 = random() < 0.5;
  hostCounter++;
  const client = v6
    ? Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, (hostCounter >> 8) & 0xff, hostCounter & 0xff])
    : Uint8Array.from([198, 18, (hostCounter >> 8) & 0xff, hostCounter & 0xff]);
  const server = v6
    ? Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, (hostCounter % 16) + 1])
    : Uint8Array.from([198, 19, 0, (hostCounter % 16) + 1]);
  nextPort = nextPort >= 65000 ? 1024 : nextPort + 1;
  const script: Connection['script'] = [
    [true, SYN, 0],
    [false, SYN | ACK, 0],
    [true, ACK, 0],
  ];
  const exchanges = 1 + Math.floor(random() * 5);
  for (let i = 0; i < exchanges; i++) {
    script.push([true, PSH | ACK, 50 + Math.floor(random() * 300)]);
    script.push([false, ACK, 200 + Math.floor(random() * 1248)]);
    script.push([false, PSH | ACK, 1 + Math.floor(random() * 400)]);
    script.push([true, ACK, 0]);
  }
  script.push([true, FIN | ACK, 0], [false, FIN | ACK, 0], [true, ACK, 0]);
  return {
    v6,
    client,
    server,
    clientPort: nextPort,
    serverPort: random() < 0.7 ? 443 : 80,
    clientSeq: Math.floor(random() * 0xffffffff) >>> 0,
    serverSeq: Math.floor(random() * 0xffffffff) >>> 0,
    script,
    step: 0,
  };
}

const frame = new Uint8Array(1600);
const view = new DataView(frame.buffer);

/** Builds the connection's next frame into `frame`; returns its length. */
function buildFrame(conn: Connection): number {
  const [fromClient, flags, payloadLength] = conn.script[conn.step++];
  const src = fromClient ? conn.client : conn.server;
  const dst = fromClient ? conn.server : conn.client;
  // Ethernet
  frame.set([0x02, 0, 0, 0, 0, fromClient ? 2 : 1, 0x02, 0, 0, 0, 0, fromClient ? 1 : 2], 0);
  view.setUint16(12, conn.v6 ? 0x86dd : 0x0800);
  const tcpOffset = conn.v6 ? 14 + 40 : 14 + 20;
  const hasOptions = (flags & SYN) !== 0;
  const tcpHeaderLength = hasOptions ? 40 : 32;
  const segmentLength = tcpHeaderLength + payloadLength;
  if (conn.v6) {
    view.setUint32(14, 0x60000000);
    view.setUint16(18, segmentLength);
    frame[20] = 6;
    frame[21] = 64;
    frame.set(src, 22);
    frame.set(dst, 38);
  } else {
    view.setUint16(14, 0x4500);
    view.setUint16(16, 20 + segmentLength);
    view.setUint16(18, conn.step);
    view.setUint16(20, 0x4000);
    frame[22] = 64;
    frame[23] = 6;
    view.setUint16(24, 0);
    frame.set(src, 26);
    frame.set(dst, 30);
    view.setUint16(24, fold(onesComplementSum(frame, 14, 34, 0)));
  }
  // TCP
  const seq = fromClient ? conn.clientSeq : conn.serverSeq;
  const ack = fromClient ? conn.serverSeq : conn.clientSeq;
  view.setUint16(tcpOffset, fromClient ? conn.clientPort : conn.serverPort);
  view.setUint16(tcpOffset + 2, fromClient ? conn.serverPort : conn.clientPort);
  view.setUint32(tcpOffset + 4, seq);
  view.setUint32(tcpOffset + 8, flags & ACK ? ack : 0);
  view.setUint16(tcpOffset + 12, ((tcpHeaderLength / 4) << 12) | flags);
  view.setUint16(tcpOffset + 14, 502);
  view.setUint16(tcpOffset + 16, 0);
  view.setUint16(tcpOffset + 18, 0);
  const options = tcpOffset + 20;
  if (hasOptions) {
    // MSS 1460, SACK_PERM, TS, NOP, WS 7 — Linux's SYN layout.
    frame.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10], options);
    view.setUint32(options + 8, conn.step * 1000);
    view.setUint32(options + 12, 0);
    frame.set([1, 3, 3, 7], options + 16);
  } else {
    frame.set([1, 1, 8, 10], options);
    view.setUint32(options + 4, conn.step * 1000);
    view.setUint32(options + 8, conn.step * 999);
  }
  const payloadOffset = tcpOffset + tcpHeaderLength;
  for (let i = 0; i < payloadLength; i++) frame[payloadOffset + i] = (i * 31 + conn.step) & 0xff;
  // Pseudo-header checksum
  let pseudo = onesComplementSum(src, 0, src.length, 0);
  pseudo = onesComplementSum(dst, 0, dst.length, pseudo);
  pseudo += 6 + segmentLength;
  view.setUint16(tcpOffset + 16, fold(onesComplementSum(frame, tcpOffset, payloadOffset + payloadLength, pseudo)));
  // Sequence space: SYN and FIN consume one number each.
  const consumed = payloadLength + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
  if (fromClient) conn.clientSeq = (conn.clientSeq + consumed) >>> 0;
  else conn.serverSeq = (conn.serverSeq + consumed) >>> 0;
  return payloadOffset + payloadLength;
}

// pcapng writer (self-contained so the benchmark input never depends on the code under test)
const out = openSync(outPath, 'w');
const chunk = new Uint8Array(8 << 20);
const chunkView = new DataView(chunk.buffer);
let used = 0;
function flush(): void {
  writeSync(out, chunk, 0, used);
  used = 0;
}
function writeBlock(type: number, body: Uint8Array, bodyLength: number): void {
  const padded = (bodyLength + 3) & ~3;
  const total = 12 + padded;
  if (used + total > chunk.length) flush();
  chunkView.setUint32(used, type, true);
  chunkView.setUint32(used + 4, total, true);
  chunk.set(body.subarray(0, bodyLength), used + 8);
  chunk.fill(0, used + 8 + bodyLength, used + 8 + padded);
  chunkView.setUint32(used + 8 + padded, total, true);
  used += total;
}
const shb = new Uint8Array(16);
new DataView(shb.buffer).setUint32(0, 0x1a2b3c4d, true);
new DataView(shb.buffer).setUint16(4, 1, true);
new DataView(shb.buffer).setBigInt64(8, -1n, true);
writeBlock(0x0a0d0d0a, shb, 16);
const idb = new Uint8Array(20);
const idbView = new DataView(idb.buffer);
idbView.setUint16(0, 1, true); // Ethernet
idbView.setUint32(4, 65535, true);
idbView.setUint16(8, 9, true); // if_tsresol
idbView.setUint16(10, 1, true);
idb[12] = 9; // nanoseconds
writeBlock(0x00000001, idb, 20);

const epb = new Uint8Array(20 + 1600);
const epbView = new DataView(epb.buffer);
let timestampNs = 1_700_000_000_000_000_000n;
const pool: Connection[] = [];
for (let i = 0; i < concurrent; i++) pool.push(newConnection());
let bytes = 0;
for (let n = 0; n < totalFrames; n++) {
  const index = Math.floor(random() * pool.length);
  const conn = pool[index];
  const length = buildFrame(conn);
  if (conn.step >= conn.script.length) pool[index] = newConnection();
  timestampNs += BigInt(1000 + Math.floor(random() * 9000));
  epbView.setUint32(0, 0, true);
  epbView.setUint32(4, Number(timestampNs >> 32n), true);
  epbView.setUint32(8, Number(timestampNs & 0xffffffffn), true);
  epbView.setUint32(12, length, true);
  epbView.setUint32(16, length, true);
  epb.set(frame.subarray(0, length), 20);
  writeBlock(0x00000006, epb, 20 + length);
  bytes += length;
}
flush();
closeSync(out);
console.log(`generated ${totalFrames} frames, ${(bytes / 1e6).toFixed(1)} MB of frame data, into ${outPath}`);
