/**
 * The script-run API's guards, without a network: every argument is validated where it arrives
 * (bad values answer 'invalid' and name the field; a script's syntax error names its line and
 * column), unknown runs answer 'not-found', and script files are read and written as capture
 * files are saved (an existing file replaced only when confirmed, never through a symbolic link).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, dispatch, type RunScriptParams } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';

const GOOD: RunScriptParams = {
  script: '0 < S 0:0(0) win 65535\n+0 > R. 0:0(0) ack 1 win 0\n',
  interface: 'lo',
  local: '198.18.0.11',
  localPort: null,
  remote: '198.18.0.2',
  remotePort: 81,
  toleranceMs: 4,
  step: false,
};

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('script runs through the API', () => {
  let backend: Backend;
  let dir: string;
  beforeEach(() => {
    backend = new Backend({ host: 'browser', version: 'test' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-script-api-'));
  });
  afterEach(async () => {
    await backend.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments before anything starts, naming the field', async () => {
    const cases: Array<[Partial<Record<keyof RunScriptParams, unknown>>, RegExp]> = [
      [{ toleranceMs: -1 }, /toleranceMs: below 0/],
      [{ remotePort: 70000 }, /remotePort: above 65535/],
      [{ localPort: 0 }, /localPort: below 1/],
      [{ local: 'host; rm -rf /' }, /local: has an invalid format/],
      [{ script: '' }, /script: shorter than 1/],
      [{ step: 'yes' }, /step: expected a boolean/],
    ];
    for (const [change, message] of cases) {
      const error = await failure(dispatch(backend.handlers, 'runScript', { ...GOOD, ...change }));
      expect(error.code).toBe('invalid');
      expect(error.message).toMatch(message);
    }
  });

  it('a script syntax error names its line and column; addresses must be real and of one family', async () => {
    const bad = '+0 > S. 0:0(0) ack 1 wscale';
    const syntax = await failure(dispatch(backend.handlers, 'runScript', { ...GOOD, script: `0 < S 0:0(0)\n${bad}\n` }));
    expect(syntax.code).toBe('invalid');
    expect(syntax.message.startsWith(`script line 2:${bad.indexOf('wscale') + 1}: unexpected "wscale"`)).toBe(true);
    const empty = await failure(dispatch(backend.handlers, 'runScript', { ...GOOD, script: '// nothing but a comment\n' }));
    expect(empty.message).toBe('the script has no packet lines to run');
    const notIp = await failure(dispatch(backend.handlers, 'runScript', { ...GOOD, remote: '999.1.1.1' }));
    expect(notIp.message).toMatch(/remote address "999.1.1.1" is not an IP address/);
    const mixed = await failure(dispatch(backend.handlers, 'runScript', { ...GOOD, remote: '2001:db8::2' }));
    expect(mixed.message).toMatch(/same IP version/);
  });

  it('Step and Stop of a run that does not exist answer not-found', async () => {
    expect((await failure(dispatch(backend.handlers, 'scriptStep', { runId: 'r77', mode: 'step' }))).code).toBe('not-found');
    expect((await failure(dispatch(backend.handlers, 'stopScript', { runId: 'r77' }))).code).toBe('not-found');
    expect((await failure(dispatch(backend.handlers, 'scriptStep', { runId: 'r1', mode: 'jump' }))).code).toBe('invalid');
  });

  it('saves and opens script files; an existing file is replaced only when confirmed, never through a symbolic link', async () => {
    const file = path.join(dir, 'a.pkt');
    const text = '0 < S 0:0(0)\r\n+0 > S. 0:0(0) ack 1 <...>\n';
    await dispatch(backend.handlers, 'writeScript', { path: file, text });
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(await dispatch(backend.handlers, 'readScript', { path: file })).toEqual({ path: file, text });
    const exists = await failure(dispatch(backend.handlers, 'writeScript', { path: file, text: 'x' }));
    expect(exists.code).toBe('exists');
    await dispatch(backend.handlers, 'writeScript', { path: file, text: 'replaced', overwrite: true });
    expect(readFileSync(file, 'utf8')).toBe('replaced');
    const link = path.join(dir, 'link.pkt');
    symlinkSync(file, link);
    expect((await failure(dispatch(backend.handlers, 'writeScript', { path: link, text: 'x', overwrite: true }))).code).toBe('permission');
    expect(readFileSync(file, 'utf8')).toBe('replaced');
    expect((await failure(dispatch(backend.handlers, 'readScript', { path: path.join(dir, 'missing.pkt') }))).code).toBe('not-found');
    const binary = path.join(dir, 'capture.pcap');
    writeFileSync(binary, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 0, 0, 0]));
    expect((await failure(dispatch(backend.handlers, 'readScript', { path: binary }))).message).toMatch(/not a text file/);
  });
});
