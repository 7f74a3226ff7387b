/**
 * The outer-encapsulation field and column (`tunnel.outer`): for tunnelled frames built with
 * Scapy (VXLAN, Geneve, GRE with a key, ERSPAN II, an MPLS stack, IP-in-IP, 6in4), decode names
 * the outermost tunnel with the identifier Scapy was given and the outer endpoints; an untunnelled
 * frame has none. Filtering on it selects the frames tshark selects by the tunnel's own field.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from './oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('tunnel-outer-') : '';
if (ready) runPythonFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'tunnel-outer.py'), [directory]);
const pcap = path.join(directory, 'tunnels.pcap');

/** What Scapy was told to build, frame by frame. */
const EXPECTED = [
  'VXLAN 42 / 198.18.0.1→198.18.0.2',
  'Geneve 7 / 198.18.0.1→198.18.0.2',
  'GRE key 0x0000abcd / 198.18.0.1→198.18.0.2',
  'ERSPAN 5 / 198.18.0.1→198.18.0.2',
  'MPLS 16,17 / 02:00:00:00:00:01→02:00:00:00:00:02',
  'IPIP / 198.18.0.3→198.18.0.4',
  '6in4 / 198.18.0.5→198.18.0.6',
  undefined,
  'VXLAN 42 / 198.18.0.1→198.18.0.2',
];

/** tshark 4.0 does not follow Scapy's ERSPAN II frame past its header (Info `ERSPAN:`), so its columns are not compared. */
const ERSPAN_FRAME = 3;

function tsharkFrames(filter: string): number[] {
  const run = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  return run.stdout.trim().split('\n').filter(Boolean).map(Number);
}

describe.skipIf(!ready)('the outer encapsulation of tunnelled frames', () => {
  const cli = ready ? buildCli() : '';

  it('decode --json names the tunnel, its identifier and the outer endpoints (tunnel.outer)', () => {
    const run = runCliSync(cli, ['decode', pcap, '--json']);
    expect(run.code).toBe(0);
    expect(ndjson(run.stdout).map((frame) => frame['tunnel.outer'])).toEqual(EXPECTED);
  });

  it('the text output shows it after Info, and the inner packet stays in the columns as tshark has it', () => {
    const lines = runCliSync(cli, ['decode', pcap]).stdout.trim().split('\n');
    const tshark = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', '_ws.col.Info', '--disable-protocol', 'http'], { encoding: 'utf8' }).stdout.trim().split('\n');
    lines.forEach((line, index) => {
      const outer = EXPECTED[index];
      if (outer) expect(line.endsWith(` [via ${outer}]`)).toBe(true);
      else expect(line).not.toContain('[via ');
      if (index !== ERSPAN_FRAME) expect(line.replace(/ \[via .*\]$/, '').endsWith(tshark[index].trim())).toBe(true);
    });
  });

  it('the source and destination columns are the innermost packet\'s, of either IP version (6in4 shows IPv6), as tshark\'s', () => {
    const lines = runCliSync(cli, ['decode', pcap]).stdout.trim().split('\n');
    const tshark = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination'], { encoding: 'utf8' }).stdout.trim().split('\n');
    lines.forEach((line, index) => {
      if (index === ERSPAN_FRAME) return;
      const [source, destination] = tshark[index].split('\t');
      expect(line).toContain(` ${source} → ${destination} `);
    });
  });

  it('filters on it select the frames tshark selects by the tunnel fields', () => {
    const frames = (filter: string) => ndjson(runCliSync(cli, ['decode', pcap, '--json', '-Y', filter]).stdout).map((frame) => frame['frame.number']);
    expect(frames('tunnel.outer contains "VXLAN 42"')).toEqual(tsharkFrames('vxlan.vni == 42'));
    expect(frames('tunnel.outer contains "MPLS"')).toEqual(tsharkFrames('mpls'));
    expect(frames('tunnel.outer')).toEqual(tsharkFrames('vxlan || geneve || gre || mpls || ip.proto == 4 || ip.proto == 41'));
  });
});
