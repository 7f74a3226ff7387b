/**
 * TLS decryption speed: generates a capture of CONNECTIONS TLS 1.3 connections
 * (TLS_AES_128_GCM_SHA256; ClientHello, ServerHello, encrypted EncryptedExtensions and
 * Finished under the handshake secrets, the client's Finished, then application data under
 * the traffic secrets) carrying TOTAL_MB of application data, with its key log; then times
 * `handshake analyze --tls-keylog` (every record decrypted) and tshark given the same key log
 * (`-Y tls.record.content_type == 23`, which makes it dissect and decrypt every record), in the
 * same run. Both must decrypt every record for the figures to count: this is checked.
 * `handshake` runs as users run it, through its launcher (electron/cli/bin.cjs) with its code
 * cache made by an untimed first run; each tool then runs RUNS times, turn about, and the best
 * wall and CPU times count (on a shared machine the best is the least disturbed).
 * Two figures: the total, start-up included (what a user waits for), and the processing alone:
 * each tool's run less the same command's on a 1-frame file with an empty key log (its start-up:
 * the program, its modules or dissectors, its options), measured in the same run.
 *
 * usage: tls.ts [CONNECTIONS=1000] [TOTAL_MB=10] [RUNS=3]   (run via `npm run bench:tls`)
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { PcapWriter } from '../../shared/files';

const connections = Number(process.argv[2] ?? 1000);
const totalMegabytes = Number(process.argv[3] ?? 10);
const runs = Math.max(1, Number(process.argv[4] ?? 3));
const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-tls-'));
const file = path.join(dir, 'tls.pcap');
const keylog = path.join(dir, 'keys.txt');
/** The capture's first frame alone, and an empty key log: what each tool costs before it processes anything. */
const oneFrameFile = path.join(dir, 'one-frame.pcap');
const emptyKeylog = path.join(dir, 'empty-keys.txt');

function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  return createHmac('sha256', secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

class Protector {
  private seq = 0;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  constructor(secret: Buffer) {
    this.key = expandLabel(secret, 'key', 16);
    this.iv = expandLabel(secret, 'iv', 12);
  }
  record(type: number, content: Buffer): Buffer {
    const nonce = Buffer.from(this.iv);
    const seq = this.seq++;
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const inner = Buffer.concat([content, Buffer.from([type])]);
    const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
    const cipher = createCipheriv('aes-128-gcm', this.key, nonce);
    cipher.setAAD(header);
    return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
  }
}

const handshake = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
const plainRecord = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 1, body.length >> 8, body.length & 0xff]), body]);

function clientHello(random: Buffer): Buffer {
  const versions = Buffer.from([0, 43, 0, 3, 2, 3, 4]);
  const body = Buffer.concat([Buffer.from([3, 3]), random, Buffer.from([0, 0, 2, 0x13, 0x01, 1, 0, 0, versions.length]), versions]);
  return plainRecord(22, handshake(1, body));
}
function serverHello(): Buffer {
  const versions = Buffer.from([0, 43, 0, 2, 3, 4]);
  const body = Buffer.concat([Buffer.from([3, 3]), randomBytes(32), Buffer.from([0, 0x13, 0x01, 0, 0, versions.length]), versions]);
  return plainRecord(22, handshake(2, body));
}

/** Ethernet + IPv4 + TCP (checksums left 0: neither reader is asked to verify them). */
function frame(fromClient: boolean, port: number, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(54 + payload.length);
  out.writeUInt16BE(0x0800, 12);
  out[14] = 0x45;
  out.writeUInt16BE(40 + payload.length, 16);
  out[22] = 64;
  out[23] = 6;
  const client = [198, 18, 0, 1];
  const server = [198, 18, 0, 2];
  out.set(fromClient ? client : server, 26);
  out.set(fromClient ? server : client, 30);
  out.writeUInt16BE(fromClient ? port : 443, 34);
  out.writeUInt16BE(fromClient ? 443 : port, 36);
  out.writeUInt32BE(seq >>> 0, 38);
  out.writeUInt32BE(ack >>> 0, 42);
  out[46] = 0x50;
  out[47] = flags;
  out.writeUInt16BE(65535, 48);
  payload.copy(out, 54);
  return out;
}

function generate(): { bytes: number; records: number } {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((chunk) => chunks.push(chunk.slice()), { linkType: 1, snaplen: 65535, resolution: 'us' });
  let keys = '';
  let t = 1_700_000_000;
  let micros = 0;
  const perConnection = Math.floor((totalMegabytes * 1e6) / connections);
  let appBytes = 0;
  let records = 0;
  const write = (data: Buffer) => {
    micros += 10;
    if (micros >= 1e6) {
      t++;
      micros -= 1e6;
    }
    writer.writeFrame({ tsSeconds: t, tsNanos: micros * 1000, originalLength: data.length, data });
    if (chunks.length === 2) writeFileSync(oneFrameFile, Buffer.concat(chunks)); // the file header and the first frame
  };
  for (let c = 0; c < connections; c++) {
    const port = 10000 + (c % 50000);
    const random = randomBytes(32);
    const secrets = { chs: randomBytes(32), shs: randomBytes(32), cts: randomBytes(32), sts: randomBytes(32) };
    const hex = random.toString('hex');
    keys += `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${hex} ${secrets.chs.toString('hex')}\nSERVER_HANDSHAKE_TRAFFIC_SECRET ${hex} ${secrets.shs.toString('hex')}\n`;
    keys += `CLIENT_TRAFFIC_SECRET_0 ${hex} ${secrets.cts.toString('hex')}\nSERVER_TRAFFIC_SECRET_0 ${hex} ${secrets.sts.toString('hex')}\n`;
    let cseq = 1000;
    let sseq = 5000;
    write(frame(true, port, cseq, 0, 0x02, Buffer.alloc(0)));
    write(frame(false, port, sseq, cseq + 1, 0x12, Buffer.alloc(0)));
    cseq++;
    sseq++;
    write(frame(true, port, cseq, sseq, 0x10, Buffer.alloc(0)));
    const send = (fromClient: boolean, data: Buffer) => {
      for (let at = 0; at < data.length; at += 1448) {
        const piece = data.subarray(at, Math.min(at + 1448, data.length));
        write(frame(fromClient, port, fromClient ? cseq : sseq, fromClient ? sseq : cseq, 0x18, piece));
        if (fromClient) cseq += piece.length;
        else sseq += piece.length;
      }
    };
    send(true, clientHello(random));
    const serverHs = new Protector(secrets.shs);
    send(false, Buffer.concat([serverHello(), serverHs.record(22, Buffer.concat([handshake(8, Buffer.from([0, 0])), handshake(20, randomBytes(32))]))]));
    send(true, new Protector(secrets.chs).record(22, handshake(20, randomBytes(32))));
    records += 2;
    const serverApp = new Protector(secrets.sts);
    const request = new Protector(secrets.cts).record(23, Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
    send(true, request);
    records++;
    let remaining = perConnection;
    const parts: Buffer[] = [];
    while (remaining > 0) {
      const size = Math.min(16384, remaining);
      parts.push(serverApp.record(23, randomBytes(size)));
      remaining -= size;
      appBytes += size;
      records++;
    }
    send(false, Buffer.concat(parts));
  }
  writeFileSync(file, Buffer.concat(chunks));
  writeFileSync(keylog, keys);
  writeFileSync(emptyKeylog, '');
  return { bytes: appBytes, records };
}

const TIME = '/usr/bin/time';
const hasTime = spawnSync(TIME, ['-f', '%U', 'true']).status === 0;

interface Run {
  seconds: number;
  cpu: number;
  /** Minor page faults (GNU time's %R): memory touched for the first time; each cost ~14 µs of CPU on the (virtual, loaded) development machine. */
  faults: number;
}

/** Wall-clock seconds, and CPU seconds (user + system, from GNU time) which a machine shared with other work disturbs less. */
function time(command: string, args: string[]): Run & { stdout: string } {
  const started = process.hrtime.bigint();
  const result = hasTime
    ? spawnSync(TIME, ['-f', 'CPU %U %S %R', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const match = /CPU ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr);
  return { seconds, cpu: match ? Number(match[1]) + Number(match[2]) : Number.NaN, faults: match ? Number(match[3]) : Number.NaN, stdout: result.stdout };
}

try {
  const build = spawnSync(process.execPath, [path.join(root, 'build/scripts/build-node.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const { bytes, records } = generate();
  console.log(`capture: ${connections} TLS 1.3 connections, ${(bytes / 1e6).toFixed(1)} MB of application data in ${records} protected records, ${(statSync(file).size / 1e6).toFixed(1)} MB file`);
  const handshake = [path.join(root, 'electron/cli/bin.cjs'), 'analyze', file, '--json', '--tls-keylog', keylog];
  const tsharkArgs = ['-r', file, '-o', `tls.keylog_file:${keylog}`, '-Y', 'tls.record.content_type == 23', '-T', 'fields', '-e', 'frame.number'];
  const hasTshark = spawnSync('tshark', ['-v']).status === 0;
  const check = (stdout: string) => {
    const decrypted = stdout.split('\n').filter((line) => line.includes('"decrypted":true')).length;
    if (decrypted !== connections) throw new Error(`handshake decrypted ${decrypted} of ${connections} connections`);
  };
  check(time(process.execPath, handshake).stdout); // untimed: writes analyze's code cache, as a user's first run does
  const best = (a: Run | null, b: Run): Run => (a === null ? b : { seconds: Math.min(a.seconds, b.seconds), cpu: Math.min(a.cpu, b.cpu), faults: Math.min(a.faults, b.faults) });
  let ours: Run | null = null;
  let theirs: Run | null = null;
  // Each tool's start-up: the same command on the capture's first frame alone, with an empty key log.
  const oursOnOneFrame = [handshake[0], 'analyze', oneFrameFile, '--json', '--tls-keylog', emptyKeylog];
  const tsharkOnOneFrame = ['-r', oneFrameFile, '-o', `tls.keylog_file:${emptyKeylog}`, ...tsharkArgs.slice(4)];
  let oursStart: Run | null = null;
  let tsharkStart: Run | null = null;
  // Where our time goes: the same file without the key log.
  let withoutKeys: Run | null = null;
  for (let run = 0; run < runs; run++) {
    const mine = time(process.execPath, handshake);
    check(mine.stdout);
    ours = best(ours, mine);
    oursStart = best(oursStart, time(process.execPath, oursOnOneFrame));
    withoutKeys = best(withoutKeys, time(process.execPath, handshake.slice(0, 4)));
    if (hasTshark) {
      const tshark = time('tshark', tsharkArgs);
      const appRecords = tshark.stdout.split('\n').filter(Boolean).length;
      if (appRecords < connections) throw new Error(`tshark decrypted application data in only ${appRecords} frames`);
      theirs = best(theirs, tshark);
      tsharkStart = best(tsharkStart, time('tshark', tsharkOnOneFrame));
    }
  }
  const megabytes = bytes / 1e6;
  const report = (label: string, run: Run) =>
    run.seconds <= 0 || run.cpu <= 0
      ? console.log(`  ${label.padEnd(38)} not measurable: its start-up took as long as the whole run (a load spike?)`)
      : console.log(
      `  ${label.padEnd(38)} wall ${run.seconds.toFixed(2).padStart(5)} s, ${(megabytes / run.seconds).toFixed(1).padStart(5)} MB/s, ${(connections / run.seconds).toFixed(0).padStart(5)} connections/s; ` +
        `CPU ${run.cpu.toFixed(2)} s, ${(megabytes / run.cpu).toFixed(1)} MB/s, ${(connections / run.cpu).toFixed(0)} connections/s; ${run.faults} page faults`,
    );
  /** The full run less the 1-frame run (best of each): the processing alone. */
  const processing = (full: Run, start: Run): Run => ({ seconds: full.seconds - start.seconds, cpu: full.cpu - start.cpu, faults: full.faults - start.faults });
  const speedUp = (mine: Run, tshark: Run) => `${(tshark.seconds / mine.seconds).toFixed(1)}× wall, ${(tshark.cpu / mine.cpu).toFixed(1)}× CPU`;
  console.log(`best of ${runs} runs each, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('1. total, start-up included (what a user waits for):');
  report('handshake analyze --json --tls-keylog', ours!);
  if (theirs) report('tshark -o tls.keylog_file (-Y app)', theirs);
  if (theirs) console.log(`  speed-up: ${speedUp(ours!, theirs)} (target ≥ 5×)`);
  console.log('2. processing alone: each tool less its own start-up (the same command on a 1-frame file with an empty key log, in this run):');
  report('handshake analyze --json --tls-keylog', processing(ours!, oursStart!));
  if (theirs && tsharkStart) report('tshark -o tls.keylog_file (-Y app)', processing(theirs, tsharkStart));
  console.log(
    `  start-up: handshake CPU ${oursStart!.cpu.toFixed(2)} s (wall ${oursStart!.seconds.toFixed(2)} s, ${oursStart!.faults} page faults)` +
      (tsharkStart ? `, tshark CPU ${tsharkStart.cpu.toFixed(2)} s (wall ${tsharkStart.seconds.toFixed(2)} s, ${tsharkStart.faults} page faults)` : ''),
  );
  if (theirs && tsharkStart) console.log(`  speed-up: ${speedUp(processing(ours!, oursStart!), processing(theirs, tsharkStart))} (target ≥ 5×)`);
  else console.log('tshark: skipped (not installed)');
  console.log(
    `where our processing goes: analyze without the key log CPU ${(withoutKeys!.cpu - oursStart!.cpu).toFixed(2)} s; ` +
      `decrypting and reading the decrypted data (key log included) add ${(ours!.cpu - withoutKeys!.cpu).toFixed(2)} s`,
  );
} finally {
  if (!process.env.KEEP_BENCH) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
}
