/**
 * One bulk TCP connection for bench:ui's stream graph: a handshake, SEGMENTS data segments of
 * 1448 bytes from 198.18.200.1 to 198.18.200.2:5001 (10 µs apart, the receiver ACKing every
 * second one, one segment in 1,000 lost and answered with three SACKed duplicate ACKs and a
 * retransmission), then FINs. Frames are cut to 80 bytes as a headers-only capture would keep
 * them (the IP length keeps the real size). pcapng with nanosecond timestamps from START.
 *
 * usage: generate-bulk.ts OUT.pcapng [SEGMENTS=100000] [START_SECONDS=1700000001]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeFrame, tcpFrame, type TcpOptionSpec } from '../../shared/craft';
import { PcapngWriter } from '../../shared/files';

const [out, segmentsArg, startArg] = process.argv.slice(2);
if (!out) {
  console.error('usage: generate-bulk OUT.pcapng [SEGMENTS] [START_SECONDS]');
  process.exit(2);
}
const segments = Number(segmentsArg ?? 100_000);
const startSeconds = Number(startArg ?? 1_700_000_001);
const MSS = 1448;
const client = { address: '198.18.200.1', port: 40001, isn: 1_000_000 };
const server = { address: '198.18.200.2', port: 5001, isn: 2_000_000 };
const payload = new Uint8Array(MSS);

const fd = openSync(out, 'w');
const writer = new PcapngWriter((chunk) => void writeSync(fd, chunk), {});
writer.addInterface({ linkType: 1, snaplen: 80 });
let timeNs = 0;
let frames = 0;

function send(fromClient: boolean, flags: string, seq: number, ack: number, data: Uint8Array, options: TcpOptionSpec[] = []): void {
  const src = fromClient ? client : server;
  const dst = fromClient ? server : client;
  const bytes = encodeFrame(
    tcpFrame({ src: src.address, dst: dst.address, srcPort: src.port, dstPort: dst.port, seq: seq >>> 0, ack: ack >>> 0, flags, window: fromClient ? 502 : 24000, options, payload: data }),
  );
  writer.writeFrame({ interfaceId: 0, tsSeconds: startSeconds + Math.floor(timeNs / 1e9), tsNanos: timeNs % 1e9, data: bytes.subarray(0, 80), originalLength: bytes.length });
  frames++;
}

const c0 = client.isn + 1;
const s0 = server.isn + 1;
send(true, 'S', client.isn, 0, new Uint8Array(0), [{ kind: 'mss', value: 1460 }, { kind: 'sack_perm' }, { kind: 'wscale', shift: 7 }]);
timeNs += 200_000;
send(false, 'SA', server.isn, c0, new Uint8Array(0), [{ kind: 'mss', value: 1460 }, { kind: 'sack_perm' }, { kind: 'wscale', shift: 7 }]);
timeNs += 200_000;
send(true, 'A', c0, s0, new Uint8Array(0));

let acked = c0;
let lost = -1;
for (let i = 0; i < segments; i++) {
  timeNs += 10_000;
  const seq = c0 + i * MSS;
  if (i % 1000 === 999) {
    lost = seq; // not captured: lost before the tap
  } else {
    send(true, i % 4 === 3 ? 'PA' : 'A', seq, s0, payload);
  }
  const end = seq + MSS;
  if (lost >= 0 && i % 1000 === 2) {
    // Three duplicate ACKs with SACK for what arrived after the hole, then the retransmission.
    for (let d = 0; d < 3; d++) {
      timeNs += 2_000;
      send(false, 'A', s0, lost, new Uint8Array(0), [{ kind: 'sack', blocks: [[lost + MSS, end - (2 - d) * MSS]] }]);
    }
    timeNs += 5_000;
    send(true, 'A', lost, s0, payload);
    lost = -1;
  } else if (lost < 0 && i % 2 === 1) {
    timeNs += 3_000;
    acked = end;
    send(false, 'A', s0, acked, new Uint8Array(0));
  }
}
const fin = c0 + segments * MSS;
timeNs += 100_000;
send(false, 'A', s0, fin, new Uint8Array(0));
send(true, 'FA', fin, s0, new Uint8Array(0));
timeNs += 200_000;
send(false, 'FA', s0, fin + 1, new Uint8Array(0));
timeNs += 200_000;
send(true, 'A', fin + 1, s0 + 1, new Uint8Array(0));
closeSync(fd);
console.log(`${out}: ${frames} frames, ${segments} data segments`);
