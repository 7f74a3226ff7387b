/**
 * bench:connections — memory for one million tracked connections (target: well under 1 GB).
 * Each connection is a SYN, SYN+ACK and ACK fed straight into the tracker as fast-path
 * summaries, so the number measured is the tracker's own footprint.
 *
 * usage: connections.ts [CONNECTIONS=1000000]
 */
import { Tracker } from '../../shared/track/tracker';
import { createPacketSummary, TCP_ACK, TCP_SYN } from '../../shared/wire/summary';

const count = Number(process.argv[2] ?? 1_000_000);
const tracker = new Tracker();
const s = createPacketSummary();
s.ipVersion = 4;
s.protocol = 6;
s.transportOffset = 34;
s.tcpHeaderLength = 20;
s.payloadOffset = 54;
s.window = 64240;
const frame = new Uint8Array(60);
const server = 0xc6130001; // 198.19.0.1:80

global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const client = 0xc6120000 + (i >>> 16); // 198.18.x.y, one address per 65536 ports
  const port = i & 0xffff;
  const sec = 1_700_000_000 + Math.floor(i / 1000);
  const ns = (i % 1000) * 1000;
  const send = (fromClient: boolean, flags: number, seq: number, ack: number, n: number): void => {
    s.srcWords[0] = fromClient ? client : server;
    s.dstWords[0] = fromClient ? server : client;
    s.srcPort = fromClient ? port : 80;
    s.dstPort = fromClient ? 80 : port;
    s.tcpFlags = flags;
    s.seq = seq;
    s.ack = ack;
    s.windowScale = flags & TCP_SYN ? 7 : -1;
    tracker.track(i * 3 + n, sec, ns + n, s, frame, false);
  };
  send(true, TCP_SYN, i, 0, 1);
  send(false, TCP_SYN | TCP_ACK, 5000, i + 1, 2);
  send(true, TCP_ACK, i + 1, 5001, 3);
  if ((i & 0x3fff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
global.gc?.();
const rss = process.memoryUsage().rss;
peak = Math.max(peak, rss);
const stats = tracker.stats();
console.log(
  `${stats.connections.toLocaleString('en')} connections (${stats.active.toLocaleString('en')} in the table) in ${seconds.toFixed(1)} s: ` +
    `RSS ${(rss / 1e6).toFixed(0)} MB, peak ${(peak / 1e6).toFixed(0)} MB, ` +
    `${((rss - baseline) / stats.connections).toFixed(0)} bytes per connection above the ${(baseline / 1e6).toFixed(0)} MB baseline`,
);
