/**
 * README's way to run the command without npx: `npm run -s handshake -- …` from the
 * repository, with relative paths meaning the caller's directory, stdout carrying only the
 * command's output, and its exit codes. tshark reads the same file as the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveScapy, haveTshark, python } from '../../unit/files/tools';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const built = existsSync(path.join(ROOT, 'out', 'node', 'handshake.cjs'));

describe.skipIf(!built || !haveScapy || !haveTshark)('npm run -s handshake -- …', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-live-run-'));
    python("from scapy.all import *\nimport sys\nwrpcap(sys.argv[1], [Ether()/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=40000, dport=80, flags='S')] * 3)", path.join(dir, 'three.pcap'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes a file named relative to the caller, printing only the frames', () => {
    const result = spawnSync('npm', ['run', '-s', '--prefix', ROOT, 'handshake', '--', 'decode', 'three.pcap', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const frames = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const tshark = execFileSync('tshark', ['-r', path.join(dir, 'three.pcap'), '-T', 'fields', '-e', 'tcp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(frames.map((frame) => String(frame['tcp.srcport']))).toEqual(tshark);
  });

  it('passes the exit code through', () => {
    const result = spawnSync('npm', ['run', '-s', '--prefix', ROOT, 'handshake', '--', 'decode', 'missing.pcap'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('handshake decode: missing.pcap: no such file');
  });
});
