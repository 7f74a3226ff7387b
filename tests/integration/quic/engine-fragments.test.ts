/**
 * The workbench engine reassembles IPv4/IPv6 fragments as the CLI does (shared/reassembly): the
 * frame completing a datagram shows and tracks the TCP, UDP or QUIC inside it. Against tshark on
 * fragments.py's Scapy captures (in order, reversed, shuffled between whole TCP segments,
 * overlapping, a piece missing, interleaved, a fragmented QUIC Initial from RFC 9001 A.2): each
 * frame's tcp.stream, ports, lengths, reassembly fields (custom columns), Protocol and Info.
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../../unit/wire/oracle/oracle';
import { openIndexed } from '../../support/engine';
import { RFC9001 } from '../../unit/quic/rfc9001-vectors';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('engine-fragments-') : '';
if (ready) runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [directory, RFC9001.clientProtectedPacket.replace(/\s/g, '')]);
const files = ready ? readdirSync(directory).filter((name) => name.endsWith('.pcap')).sort() : [];

const PREFERENCES = ['-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
const COLUMNS = ['tcp.stream', 'tcp.srcport', 'tcp.len', 'udp.srcport', 'udp.length', 'ip.reassembled.length', 'ipv6.reassembled.length', 'ip.fragment.count', 'ipv6.fragment.count', 'quic.dcid'];

function tshark(pcap: string, fields: string[]): string[][] {
  const args = ['-r', pcap, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...PREFERENCES, ...fields.flatMap((field) => ['-e', field])];
  const run = spawnSync('tshark', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
}

describe.skipIf(!ready)('the engine reassembles IP fragments as tshark does (skipped without Scapy and tshark)', () => {
  it('built every case', () => {
    expect(files).toHaveLength(8);
  });

  it.each(files)('%s: tracking, reassembled fields, Protocol and Info', async (file) => {
    const pcap = path.join(directory, file);
    const { backend, session } = await openIndexed(pcap);
    try {
      let rows = (await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1000, filter: '', columns: COLUMNS })).rows;
      // QUIC Info comes from asynchronous decryption: wait until the engine has it.
      for (let attempt = 0; attempt < 100 && file.includes('quic') && !rows.some((row) => row.protocol === 'QUIC'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        rows = (await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1000, filter: '', columns: COLUMNS })).rows;
      }
      const theirs = tshark(pcap, [...COLUMNS, '_ws.col.Protocol', '_ws.col.Info']);
      expect(rows.length).toBe(theirs.length);
      let reassembled = 0;
      rows.forEach((row, index) => {
        const their = theirs[index];
        const label = `${file} frame ${index + 1}`;
        COLUMNS.forEach((column, c) => {
          // The row carries tcp.stream itself (the engine's custom columns leave tracking fields to the row).
          if (column === 'tcp.stream') expect.soft(String(row.stream === -1 ? '' : row.stream), `${label}: tcp.stream`).toBe(their[c]);
          else expect.soft(row.columns?.[c] ?? '', `${label}: ${column}`).toBe(their[c]);
        });
        if (their[COLUMNS.indexOf('ip.reassembled.length')] || their[COLUMNS.indexOf('ipv6.reassembled.length')]) reassembled++;
        expect.soft(row.protocol, `${label}: Protocol`).toBe(their[COLUMNS.length]);
        // tshark's Info of a TCP frame has its analysis prefixes; the engine's too.
        expect.soft(row.info, `${label}: Info`).toBe(their[COLUMNS.length + 1]);
      });
      if (!file.includes('missing')) expect(reassembled).toBeGreaterThan(0);
      // The completing frame's detail shows the reassembled datagram's transport.
      const last = rows.findIndex((row, index) => theirs[index][COLUMNS.indexOf('ip.reassembled.length')] || theirs[index][COLUMNS.indexOf('ipv6.reassembled.length')]);
      if (last >= 0) {
        const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: last });
        const names = JSON.stringify(detail);
        expect(names).toMatch(/Transmission Control Protocol|User Datagram Protocol/);
      }
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    }
  }, 120_000);
});
