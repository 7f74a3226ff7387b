/**
 * DNS over UDP and TCP, held against tshark frame by frame: a capture Scapy builds (A through a
 * CNAME chain, AAAA, HTTPS with alpn/port/ipv4hint/ech/ipv6hint, SVCB alias form, NXDOMAIN, an
 * unanswered query, a cut message, DNS over TCP split across segments, IPv6), and a live
 * capture of a real resolver (dnsmasq) answering in a namespace lab. Our side is
 * `handshake decode --json` and its summary lines, as users run them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { canUseNamespaces, createVethLab, hasScapy, hasTshark, SCAPY_PYTHON, sleep } from '../capture/support';
import { parseDnsMessage } from '../../../shared/dns';
import type { DetailNode } from '../../../shared/api';
import { openIndexed } from '../../support/engine';

const FIXTURES = path.resolve(__dirname, '../../fixtures/dns');
const hasDnsmasq = spawnSync('dnsmasq', ['--version']).status === 0;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

/** Compared frame by frame; tshark prints dns.id in hex and byte fields without separators. */
const FIELDS = [
  'dns.id',
  'dns.flags.response',
  'dns.flags.rcode',
  'dns.count.answers',
  'dns.qry.name',
  'dns.qry.type',
  'dns.resp.type',
  'dns.resp.ttl',
  'dns.resp.len',
  'dns.a',
  'dns.aaaa',
  'dns.cname',
  'dns.response_to',
  'dns.time',
  'dns.svcb.svcpriority',
  'dns.svcb.targetname',
  'dns.svcb.svcparam.key',
  'dns.svcb.svcparam.alpn',
  'dns.svcb.svcparam.port',
  'dns.svcb.svcparam.ipv4hint.ip',
  'dns.svcb.svcparam.ipv6hint.ip',
  'dns.svcb.svcparam.echconfig',
  'dns.rr.udp_payload_size',
];

function tsharkRows(file: string): Map<number, { dns: boolean; info: string; values: string[] }> {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'frame.protocols', '-e', '_ws.col.Info', ...FIELDS.flatMap((f) => ['-e', f])];
  const rows = new Map<number, { dns: boolean; info: string; values: string[] }>();
  for (const line of execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    if (!line) continue;
    const [number, protocols, info, ...values] = line.split('|');
    const normal = values.map((value, n) => {
      if (value === '') return '';
      const field = FIELDS[n];
      if (field === 'dns.id') return value.split(',').map((v) => String(Number(v))).join(',');
      if (field === 'dns.time') return value.split(',').map((v) => Number(v).toFixed(9)).join(',');
      return value;
    });
    rows.set(Number(number), { dns: protocols.split(':').includes('dns'), info, values: normal });
  }
  return rows;
}

function ourRows(file: string, cli: string): Map<number, { dns: boolean; info: string; values: string[] }> {
  const json = runCliSync(cli, ['decode', '--json', file]);
  expect(json.code, json.stderr).toBe(0);
  const lines = runCliSync(cli, ['decode', file]);
  const infos = lines.stdout.split('\n').filter(Boolean);
  const rows = new Map<number, { dns: boolean; info: string; values: string[] }>();
  ndjson(json.stdout).forEach((o, n) => {
    const values = FIELDS.map((field) => {
      const value = o[field];
      if (value === undefined) return '';
      const list = Array.isArray(value) ? value : [value];
      return list
        .map((v) => {
          if (typeof v === 'boolean') return v ? '1' : '0';
          if (field === 'dns.time') return Number(v).toFixed(9);
          if (field === 'dns.svcb.svcparam.echconfig') return String(v).replaceAll(':', '');
          return String(v);
        })
        .join(',');
    });
    // The summary line: number, time, source → destination, protocol, length, Info.
    const info = /^\s*\d+\s+\S+\s+\S+ → \S+ \S+ \d+ (.*)$/.exec(infos[n])?.[1] ?? '';
    rows.set(o['frame.number'] as number, { dns: o.dns === true, info, values });
  });
  return rows;
}

/** tshark cuts a malformed frame's Info at the damage; compare what comes before the note. */
function beforeMalformed(info: string): string {
  return info.replace(/\s*\[Malformed Packet.*$/, '');
}

function compareWithTshark(file: string, cli: string): { frames: number; dnsFrames: number } {
  const theirs = tsharkRows(file);
  const ours = ourRows(file, cli);
  expect(ours.size).toBe(theirs.size);
  let dnsFrames = 0;
  for (const [number, expected] of theirs) {
    const got = ours.get(number);
    expect(got, `frame ${number}`).toBeDefined();
    if (!got) continue;
    expect({ frame: number, dns: got.dns }).toEqual({ frame: number, dns: expected.dns });
    if (!expected.dns) continue;
    dnsFrames++;
    expect({ frame: number, info: beforeMalformed(got.info) }).toEqual({ frame: number, info: beforeMalformed(expected.info) });
    const gotFields = Object.fromEntries(FIELDS.map((f, n) => [f, got.values[n]]));
    const expectedFields = Object.fromEntries(FIELDS.map((f, n) => [f, expected.values[n]]));
    expect({ frame: number, ...gotFields }).toEqual({ frame: number, ...expectedFields });
  }
  return { frames: theirs.size, dnsFrames };
}

const tools = hasScapy && hasTshark;

describe.skipIf(!tools)('DNS against tshark on a Scapy capture', () => {
  let dir = '';
  let cli = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-dns-'));
    cli = buildCli();
    file = path.join(dir, 'dns.pcap');
    execFileSync(SCAPY_PYTHON, [path.join(FIXTURES, 'dns-capture.py'), file], { stdio: 'ignore' });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (cli) rmSync(cli, { force: true });
  });

  it('agrees with tshark on every frame: fields, pairing, Info (needs Scapy and tshark)', () => {
    const { dnsFrames } = compareWithTshark(file, cli);
    expect(dnsFrames).toBe(16);
  });

  it('flags the cut message and the unanswered query without stopping, and filters on DNS fields', () => {
    const all = ndjson(runCliSync(cli, ['decode', '--json', file]).stdout);
    const cut = all.find((o) => o['dns.id'] === 0x6789);
    expect(String(cut?.['_ws.malformed'])).toMatch(/DNS: answer record 1/);
    // The frames after the damaged one are still read.
    expect(all.some((o) => o['dns.id'] === 0x0def && o['dns.flags.response'] === true)).toBe(true);
    const filtered = runCliSync(cli, ['decode', file, '-Y', 'dns.a == 198.18.7.81 || dns.svcb.svcparam.alpn == "h3"', '-e', 'frame.number']);
    expect(filtered.code, filtered.stderr).toBe(0);
    const theirs = execFileSync('tshark', ['-r', file, '-Y', 'dns.a == 198.18.7.81 || dns.svcb.svcparam.alpn == "h3"', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(filtered.stdout.trim().split('\n')).toEqual(theirs.trim().split('\n'));
    expect(filtered.stdout.trim().split('\n')).toEqual(['2', '6']);
  });
});

describe.skipIf(!tools)('DNS in the workbench engine (the UI\'s rows, filter and detail tree)', () => {
  it('rows show tshark\'s Info, dns filters match tshark\'s frames, the detail tree points at the answer\'s bytes (needs Scapy and tshark)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hs-dns-engine-'));
    const file = path.join(dir, 'dns.pcap');
    execFileSync(SCAPY_PYTHON, [path.join(FIXTURES, 'dns-capture.py'), file], { stdio: 'ignore' });
    const { backend, session } = await openIndexed(file);
    try {
      const matches = async (filter: string) => {
        for (let attempt = 0; ; attempt++) {
          const rows = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1000, filter });
          if (rows.complete || attempt > 200) return rows.rows;
          await sleep(50);
        }
      };
      const tshark = (args: string[]) => execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
      for (const filter of ['dns', 'dns.flags.response == 0', 'dns.a == 198.18.7.80', 'dns.qry.type == 65', 'dns.flags.rcode == 3', 'dns.svcb.svcparam.port == 8443', 'dns.response_to == 17']) {
        expect({ filter, frames: (await matches(filter)).map((row) => row.number) }).toEqual({ filter, frames: tshark(['-Y', filter, '-T', 'fields', '-e', 'frame.number']).map(Number) });
      }
      const infos = tshark(['-Y', 'dns && !_ws.malformed', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info']).map((line) => line.split('\t'));
      const rows = await matches('dns && !_ws.malformed');
      expect(rows.map((row) => [String(row.number), row.info])).toEqual(infos);
      // The CNAME answer's bytes, where tshark's PDML puts dns.cname.
      const pdml = execFileSync('tshark', ['-r', file, '-Y', 'frame.number == 2', '-T', 'pdml'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const cname = /<field name="dns.cname"[^>]*pos="(\d+)"[^>]*size="(\d+)"|<field name="dns.cname"[^>]*size="(\d+)"[^>]*pos="(\d+)"/.exec(pdml);
      expect(cname).not.toBeNull();
      const frame = await backend.handlers.getFrame({ sessionId: session.sessionId, index: 1 });
      const find = (nodes: readonly DetailNode[]): DetailNode | undefined => {
        for (const node of nodes) {
          if (node.field === 'dns.cname') return node;
          const inner = find(node.children);
          if (inner) return inner;
        }
        return undefined;
      };
      const node = find(frame.tree);
      expect(node?.label).toBe('CNAME: edge.workbench.test');
      expect(node?.offset).toBe(Number(cname?.[1] ?? cname?.[4]));
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DNS message parser on hostile input', () => {
  it('never throws: every prefix of a real response, random bytes, and a pointer loop are flagged', () => {
    // A response with a compressed CNAME chain (RFC 1035 §4.1.4): www.example. CNAME example. (a pointer), example. A.
    const labels = (...names: string[]) => names.flatMap((n) => [n.length, ...Buffer.from(n)]);
    const bytes = Uint8Array.from([
      0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
      ...labels('www', 'example'), 0, 0, 1, 0, 1, // question at 12; "example" at 16
      0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 2, 0xc0, 16, // www.example CNAME -> pointer to "example"
      0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 7, 80,
    ]);
    const whole = parseDnsMessage(bytes);
    expect(whole.malformed).toBeNull();
    expect(whole.records.map((r) => r.target ?? r.address)).toEqual(['example', '198.18.7.80']);
    for (let n = 0; n < bytes.length; n++) expect(parseDnsMessage(bytes.subarray(0, n)).malformed, `prefix ${n}`).not.toBeNull();
    let seed = 7;
    for (let k = 0; k < 2000; k++) {
      const random = new Uint8Array(12 + (k % 80));
      for (let i = 0; i < random.length; i++) random[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      expect(() => parseDnsMessage(random)).not.toThrow();
    }
    // A name that points at itself.
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseDnsMessage(loop).malformed).toMatch(/pointer/);
  });
});

describe.skipIf(!(tools && canUseNamespaces && hasDnsmasq && hasTcpdump))('DNS from a real resolver (dnsmasq in a namespace lab)', () => {
  it('a capture of dnsmasq answering A, AAAA, HTTPS, NXDOMAIN, EDNS and TCP queries agrees with tshark (needs root, dnsmasq, tcpdump, Scapy, tshark)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hs-dnsmasq-'));
    const cli = buildCli();
    const lab = createVethLab('browse-dns');
    let dnsmasq: ReturnType<typeof spawn> | undefined;
    let tcpdump: ReturnType<typeof spawn> | undefined;
    try {
      // HTTPS RR (RFC 9460): priority 1, target ".", alpn h2, ipv4hint 198.18.0.2.
      const https = '0001' + '00' + '0001' + '0003' + '026832' + '0004' + '0004' + 'c6120002';
      const config = path.join(dir, 'dnsmasq.conf');
      writeFileSync(
        config,
        [
          'no-resolv',
          'no-hosts',
          'bind-interfaces',
          `listen-address=${lab.server.ip}`,
          'local=/workbench.test/',
          `host-record=workbench.test,${lab.server.ip},2001:db8::2`,
          'cname=www.workbench.test,workbench.test',
          `dns-rr=workbench.test,65,${https}`,
          'local-ttl=300',
        ].join('\n'),
      );
      dnsmasq = spawn('ip', ['netns', 'exec', lab.server.ns, 'dnsmasq', '--no-daemon', `--conf-file=${config}`, '--pid-file='], { stdio: ['ignore', 'pipe', 'pipe'] });
      const file = path.join(dir, 'dnsmasq.pcap');
      tcpdump = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '--immediate-mode', '-U', '-i', lab.client.ifname, '-w', file, 'port 53'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let tcpdumpErr = '';
      tcpdump.stderr?.on('data', (chunk: Buffer) => (tcpdumpErr += chunk.toString()));
      for (let t = 0; t < 100 && !/listening on/.test(tcpdumpErr); t++) await sleep(100);
      await sleep(300); // dnsmasq binds as it starts
      const client = spawnSync('ip', ['netns', 'exec', lab.client.ns, SCAPY_PYTHON, path.join(FIXTURES, 'dns-client.py'), lab.server.ip], { encoding: 'utf8', timeout: 60_000 });
      expect(client.status, client.stderr).toBe(0);
      // The resolver's own account: rcode 0 with answers, NXDOMAIN (3) for the missing name.
      expect(client.stdout.trim().split('\n')).toEqual(['udp 4097 0 2', 'udp 4098 0 1', 'udp 4099 0 1', 'udp 4100 3 0', 'udp 4101 0 1', 'tcp 4102 0 2']);
      await sleep(300);
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump?.once('close', resolve));
      tcpdump = undefined;
      const { dnsFrames } = compareWithTshark(file, cli);
      expect(dnsFrames).toBe(12);
      const ours = ndjson(runCliSync(cli, ['decode', '--json', file]).stdout);
      const httpsAnswer = ours.find((o) => o['dns.id'] === 0x1003 && o['dns.flags.response'] === true);
      expect(httpsAnswer?.['dns.svcb.svcparam.alpn']).toBe('h2');
      expect(httpsAnswer?.['dns.svcb.svcparam.ipv4hint.ip']).toBe(lab.server.ip);
    } finally {
      tcpdump?.kill('SIGKILL');
      dnsmasq?.kill('SIGKILL');
      lab.destroy();
      rmSync(dir, { recursive: true, force: true });
      rmSync(cli, { force: true });
    }
  });
});
