/**
 * Files through the API (issue 11): Save As and Export refuse to replace an existing file
 * unless the request says the user confirmed (`overwrite: true`), never write through a
 * symbolic link (final component, or a directory link planted by another user), and an
 * open error does not quote a file's first bytes. tshark reads what was written.
 */
import { lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, type ApiError } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { haveTshark, run } from '../files/tools';

// An Ethernet/IPv4/TCP SYN, 54 bytes (checksums are not what this test is about).
const FRAME = 'ffffffffffff00112233445508004500002800010000400600000a0000010a000002303900500000000000000000500220000000' + '0000';

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a refusal');
}

describe('files through the API', () => {
  let dir = '';
  let backend: Backend;
  const exportTo = (target: string, overwrite?: boolean) =>
    dispatch(backend.handlers, 'exportFrames', { path: target, format: 'pcap', linkType: 1, framesHex: [FRAME], ...(overwrite === undefined ? {} : { overwrite }) });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-targets-'));
    backend = new Backend({ host: 'browser', version: 'test' });
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('export writes a new file that tshark reads', async () => {
    const target = path.join(dir, 'new.pcap');
    expect(await exportTo(target)).toEqual({ path: target, frames: 1 });
    if (haveTshark) expect(run('tshark', ['-r', target, '-T', 'fields', '-e', 'frame.len']).stdout.trim()).toBe('54');
  });

  it('export refuses to replace an existing file without overwrite, and replaces it with overwrite: true', async () => {
    const target = path.join(dir, 'existing.pcap');
    writeFileSync(target, 'precious');
    const refused = await failure(exportTo(target));
    expect(refused.code).toBe('exists');
    expect(refused.message.split('\n')[0]).toContain('already exists');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect((await failure(exportTo(target, false))).code).toBe('exists');
    expect(await exportTo(target, true)).toEqual({ path: target, frames: 1 });
    expect(readFileSync(target).length).toBe(24 + 16 + 54);
  });

  it('never writes through a symbolic link, even with overwrite, nor creates a dangling link target', async () => {
    const victim = path.join(dir, 'authorized_keys');
    writeFileSync(victim, 'ssh-ed25519 AAAA user@host\n');
    const link = path.join(dir, 'link.pcap');
    symlinkSync(victim, link);
    for (const overwrite of [undefined, true]) {
      const refused = await failure(exportTo(link, overwrite));
      expect(refused.code).toBe('permission');
      expect(refused.message).toContain('symbolic link');
    }
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA user@host\n');
    const nowhere = path.join(dir, 'not-yet-there');
    const dangling = path.join(dir, 'dangling.pcap');
    symlinkSync(nowhere, dangling);
    expect((await failure(exportTo(dangling))).code).toBe('permission');
    expect(existsSync(nowhere)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a directory on the way that is a symbolic link owned by another user', async () => {
    const real = path.join(dir, 'real-dir');
    mkdirSync(real);
    const planted = path.join(dir, 'planted');
    symlinkSync(real, planted);
    lchownSync(planted, 54321, 54321);
    expect(lstatSync(planted).uid).toBe(54321);
    const refused = await failure(exportTo(path.join(planted, 'x.pcap')));
    expect(refused.code).toBe('permission');
    expect(existsSync(path.join(real, 'x.pcap'))).toBe(false);
  });

  it('refuses a target that is not a regular file', async () => {
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub);
    expect((await failure(exportTo(sub, true))).code).toBe('invalid');
  });

  it('Save As follows the same rules', async () => {
    const source = path.join(dir, 'source.pcap');
    await exportTo(source);
    const session = await backend.openFile(source);
    const save = (target: string, overwrite?: boolean) =>
      dispatch(backend.handlers, 'saveAs', { sessionId: session.sessionId, path: target, format: 'pcapng', ...(overwrite === undefined ? {} : { overwrite }) });
    const target = path.join(dir, 'saved.pcapng');
    writeFileSync(target, 'precious');
    expect((await failure(save(target))).code).toBe('exists');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(await save(target, true)).toEqual({ path: target, frames: 1 });
    if (haveTshark) expect(run('tshark', ['-r', target, '-T', 'fields', '-e', 'frame.len']).stdout.trim()).toBe('54');
    const link = path.join(dir, 'save-link.pcapng');
    symlinkSync(path.join(dir, 'authorized_keys'), link);
    expect((await failure(save(link, true))).code).toBe('permission');
  });

  it('an open error does not quote the first bytes of a file that is not a capture', async () => {
    const secret = path.join(dir, 'secret.txt');
    writeFileSync(secret, 'SEKRIT-password-1234567890\n');
    const refused = await failure(dispatch(backend.handlers, 'openFile', { path: secret }));
    const hexHead = Buffer.from('SEKR').toString('hex');
    expect(refused.message).not.toContain('SEKR');
    expect(refused.message.toLowerCase()).not.toContain(hexHead);
    expect(refused.message.toLowerCase()).not.toContain(Buffer.from('SEKR').readUInt32LE(0).toString(16));
    expect(refused.message).toContain('not a pcap or pcapng file');
    // A pcapng-looking head with a bad byte-order magic: the bytes after the magic stay private too.
    const fake = path.join(dir, 'fake.pcapng');
    writeFileSync(fake, Buffer.concat([Buffer.from('0a0d0d0a1c000000', 'hex'), Buffer.from('PASS'), Buffer.alloc(16)]));
    const second = await failure(dispatch(backend.handlers, 'openFile', { path: fake }));
    expect(second.message.toLowerCase()).not.toContain(Buffer.from('PASS').toString('hex'));
    expect(second.message.toLowerCase()).not.toContain(Buffer.from('PASS').readUInt32LE(0).toString(16));
  });
});
