/** Following a key log while capturing: a file still to come is waited for (not an error), a bad one reported once, complete lines taken as they arrive. */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyLogFollower } from '../../../electron/engine/keylog-follower';
import { KeyLog } from '../../../shared/tls/keylog';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hwb-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const random = (digit: string) => digit.repeat(64);
const line = (digit: string) => `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${random(digit)} ${'cd'.repeat(32)}\n`;

describe('KeyLogFollower', () => {
  it('waits for a file that does not exist yet, then takes each complete line once', () => {
    const file = path.join(dir, 'browser-keys.txt');
    const problems: Array<[string, boolean]> = [];
    const handed: string[] = [];
    const keyLog = new KeyLog();
    const follower = new KeyLogFollower(file, keyLog, (lines) => handed.push(Buffer.from(lines).toString()), (message, waiting) => problems.push([message, waiting]));
    follower.poll();
    follower.poll();
    expect(problems).toEqual([[`key log ${file} does not exist yet; waiting for it`, true]]);
    writeFileSync(file, `${line('a')}${line('b').slice(0, 40)}`);
    follower.poll();
    expect(handed).toEqual([line('a')]);
    appendFileSync(file, line('b').slice(40));
    follower.poll();
    expect(handed).toEqual([line('a'), line('b')]);
    expect(keyLog.size).toBe(2);
  });

  it('reports a path it cannot read as an error, once', () => {
    const folder = path.join(dir, 'a-directory');
    mkdirSync(folder);
    const problems: Array<[string, boolean]> = [];
    const follower = new KeyLogFollower(folder, new KeyLog(), () => {}, (message, waiting) => problems.push([message, waiting]));
    follower.poll();
    follower.poll();
    expect(problems, JSON.stringify(problems)).toHaveLength(1);
    expect(problems[0][1]).toBe(false);
    expect(problems[0][0]).toMatch(/^key log .*a-directory: EISDIR/);
  });
});
