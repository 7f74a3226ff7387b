/**
 * Record page load rewrites its capture with the key log's secrets ahead of the packets. The
 * rewritten file must stay a pcapng that Wireshark's tools copy (editcap refuses a Decryption
 * Secrets Block before the first interface block) and keep every frame as tshark reads it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moveSecretsFirst } from '../../../electron/engine/pageload-file';
import { PcapngWriter, SecretsType } from '../../../shared/files';
import { hasTshark, scapyMany, tsharkFields } from '../capture/support';

const hasEditcap = spawnSync('editcap', ['-h']).status === 0;
const directory = mkdtempSync(path.join(os.tmpdir(), 'hwb-secrets-first-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Block types in file order, read straight from the pcapng framing (type, total length). */
function blockTypes(file: string): number[] {
  const bytes = readFileSync(file);
  const types: number[] = [];
  for (let offset = 0; offset + 12 <= bytes.length; ) {
    types.push(bytes.readUInt32LE(offset));
    offset += bytes.readUInt32LE(offset + 4);
  }
  return types;
}

describe.skipIf(!hasTshark || !hasEditcap)('a recorded page load with its secrets moved first (tshark and editcap as oracles)', () => {
  it('puts the secrets after the interface blocks and before the first packet, keeps every frame, and editcap can copy it', async () => {
    const frames = scapyMany([
      "Ether()/IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=40000,dport=443,flags='S',seq=1)",
      "Ether()/IP(src='198.18.0.2',dst='198.18.0.1')/TCP(sport=443,dport=40000,flags='SA',seq=7,ack=2)",
      "Ether()/IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=40000,dport=443,flags='A',seq=2,ack=8)",
    ]);
    const file = path.join(directory, 'page.pcapng');
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(Uint8Array.from(chunk)), { userApplication: 'test' });
    const id = writer.addInterface({ linkType: 1, snaplen: 65535, name: 'veth0', resolution: 'ns' });
    frames.forEach((data, i) => {
      writer.writeFrame({ interfaceId: id, tsSeconds: 1_700_000_000 + i, tsNanos: 123_456_789, data, originalLength: data.length, comments: i === 1 ? ['kept comment'] : undefined });
      // As a live capture's spool: each secret lands after the frames it belongs to.
      writer.writeSecrets(new TextEncoder().encode(`CLIENT_RANDOM ${'0'.repeat(63)}${i} ${'ab'.repeat(48)}\n`), SecretsType.TlsKeyLog);
    });
    writer.flush();
    writeFileSync(file, Buffer.concat(chunks));
    const before = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.comment']);

    expect(await moveSecretsFirst(file)).toEqual({ secrets: 3 });

    // SHB, IDB, the three DSBs, then the three EPBs.
    expect(blockTypes(file)).toEqual([0x0a0d0d0a, 0x00000001, 0x0000000a, 0x0000000a, 0x0000000a, 0x00000006, 0x00000006, 0x00000006]);
    expect(tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.comment'])).toEqual(before);
    const copy = path.join(directory, 'copy.pcapng');
    const run = spawnSync('editcap', [file, copy], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(tsharkFields(copy, ['frame.time_epoch', 'frame.len'])).toEqual(before.map((row) => row.slice(0, 2)));
    // editcap keeps the blocks: discarding them makes the file smaller by exactly those blocks.
    const discarded = path.join(directory, 'discarded.pcapng');
    execFileSync('editcap', ['--discard-all-secrets', file, discarded]);
    expect(blockTypes(discarded).filter((type) => type === 0x0000000a)).toEqual([]);
  });
});
