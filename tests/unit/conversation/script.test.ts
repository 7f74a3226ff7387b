/**
 * The script parser against packetdrill's packet-line grammar: times, flags, sequence ranges,
 * ack/win, options, payloads; lines it cannot run are reported as skipped; errors carry the
 * line and column of the offending token.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN, formatSegment, parseScript, ScriptSyntaxError } from '../../../shared/conversation/script';

function syntaxError(source: string): ScriptSyntaxError {
  try {
    parseScript(source);
  } catch (error) {
    if (error instanceof ScriptSyntaxError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}

describe('conversation scripts', () => {
  it('reads packetdrill packet lines: times, flags, ranges, ack, win and options', () => {
    const { steps, skipped } = parseScript(
      [
        '0.100 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
        '+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
        '+.1 < . 1:1(0) ack 1 win 257',
        '* > P. 1:1001(1000) ack 1',
        '+0.002~+0.1 < F. 1:1(0) ack 1001 win 257 <nop,nop,TS val 100 ecr 700,sack 1:2 5:9>',
        '+0 > R 1001:1001(0)',
        '0.5~0.9 > R. 0:0(0) ack 1 win 0 <...>',
      ].join('\n'),
    );
    expect(skipped).toEqual([]);
    expect(steps.map((step) => step.direction)).toEqual(['<', '>', '<', '>', '<', '>', '>']);
    expect(steps[0]).toMatchObject({ line: 1, time: { kind: 'at', at: { relative: false, seconds: 0.1 } }, flags: FLAG_SYN, seqStart: 0, seqEnd: 0, length: 0, window: 32792, ack: null });
    expect(steps[0].options).toEqual([{ kind: 'mss', value: 1000 }, { kind: 'sack_perm' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }]);
    expect(steps[1]).toMatchObject({ flags: FLAG_SYN | FLAG_ACK, ack: 1, window: null });
    expect(steps[2].time).toEqual({ kind: 'at', at: { relative: true, seconds: 0.1 } });
    expect(steps[3]).toMatchObject({ time: { kind: 'any' }, flags: FLAG_PSH | FLAG_ACK, seqStart: 1, seqEnd: 1001, length: 1000 });
    expect(steps[4].time).toEqual({ kind: 'window', from: { relative: true, seconds: 0.002 }, to: { relative: true, seconds: 0.1 } });
    expect(steps[4].flags).toBe(FLAG_FIN | FLAG_ACK);
    expect(steps[4].options).toEqual([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 100, tsecr: 700 }, { kind: 'sack', blocks: [[1, 2], [5, 9]] }]);
    expect(steps[5].flags).toBe(FLAG_RST);
    expect(steps[6]).toMatchObject({ options: 'any', time: { kind: 'window', from: { relative: false, seconds: 0.5 } } });
    // Written back in the same syntax.
    expect(formatSegment(steps[1])).toBe('S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>');
    expect(formatSegment(steps[4])).toBe('F. 1:1(0) ack 1001 win 257 <nop,nop,TS val 100 ecr 700,sack 1:2 5:9>');
  });

  it('takes a payload as a quoted string (escapes, CRLF kept) or as 0x hex, and holds it to the length', () => {
    const { steps } = parseScript('0 < P. 1:19(18) ack 1 win 502 "GET / HTTP/1.0\\r\\n\\r\\n"\n+0 < P. 19:22(3) ack 1 0x00ff41');
    expect(Buffer.from(steps[0].payload ?? []).toString('latin1')).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(Array.from(steps[1].payload ?? [])).toEqual([0x00, 0xff, 0x41]);
    expect(syntaxError('0 < P. 1:4(3) ack 1 "four"')).toMatchObject({ line: 1, column: 21, reason: 'payload is 4 bytes but the segment says (3)' });
    expect(syntaxError('0 < P. 1:4(3) ack 1 "ab').reason).toMatch(/not closed/);
  });

  it('reports system calls, %{ }% blocks, backtick commands and non-TCP lines as skipped, with their lines', () => {
    const { steps, skipped } = parseScript(
      [
        '// a server-side test, in packetdrill style',
        '`sysctl -q net.ipv4.tcp_timestamps=0`',
        '0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
        '+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR,',
        '               [1], 4) = 0',
        '+0  bind(3, ..., ...) = 0',
        '+0  listen(3, 1) = 0',
        '%{',
        'print("hello")',
        '}%',
        '/* a block',
        '   comment */ +0 < S 0:0(0) win 32792 <mss 1000>',
        '+0 > S. 0:0(0) ack 1 <...>',
        '+0 < udp (10)',
        '+0 `echo done`',
      ].join('\n'),
    );
    expect(skipped.map((entry) => [entry.line, entry.reason])).toEqual([
      [2, 'shell command'],
      [3, 'system call'],
      [4, 'system call'],
      [6, 'system call'],
      [7, 'system call'],
      [8, 'python block'],
      [14, 'not a TCP packet line'],
      [15, 'shell command'],
    ]);
    expect(steps.map((step) => step.line)).toEqual([12, 13]);
  });

  it('names the line and column of a syntax error', () => {
    expect(syntaxError('0 < S 0:0(0) win 65535\n+0 > Q 0:0(0)')).toMatchObject({ line: 2, column: 6, reason: expect.stringMatching(/unknown TCP flag "Q"/) });
    expect(syntaxError('0 < S 0:5(0)')).toMatchObject({ line: 1, column: 7, reason: expect.stringMatching(/spans 5 bytes, not \(0\)/) });
    expect(syntaxError('0 < S 0:0(0) <mss 1460,wsc 7>')).toMatchObject({ line: 1, column: 24, reason: expect.stringMatching(/unknown TCP option "wsc"/) });
    expect(syntaxError('0 < S 0:0(0) <mss 70000>')).toMatchObject({ line: 1, reason: expect.stringMatching(/out of range 0\.\.65535/) });
    expect(syntaxError('0 < S 0:0(0) win 65536')).toMatchObject({ line: 1, column: 18, reason: expect.stringMatching(/out of range/) });
    expect(syntaxError('0 < S 0:0(0) wndw 5')).toMatchObject({ line: 1, column: 14, reason: expect.stringMatching(/unexpected "wndw"/) });
    expect(syntaxError('+0.2~+0.1 > . 1:1(0)')).toMatchObject({ line: 1, column: 1, reason: expect.stringMatching(/ends \(0\.1\) before it starts/) });
    expect(syntaxError('soon < S 0:0(0)')).toMatchObject({ line: 1, column: 1, reason: expect.stringMatching(/bad time "soon"/) });
    expect(syntaxError('0 = S 0:0(0)')).toMatchObject({ line: 1, column: 3 });
  });

  it('every shipped script parses, says in its first line what it shows, and has only packet lines', () => {
    const library = path.resolve(__dirname, '..', '..', '..', 'shared', 'conversation', 'library');
    const files = readdirSync(library).filter((name) => name.endsWith('.pkt'));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const source = readFileSync(path.join(library, file), 'utf8');
      expect(source.split('\n')[0], file).toMatch(/^\/\/ [A-Z]/);
      const script = parseScript(source);
      expect(script.skipped, file).toEqual([]);
      expect(script.steps.length, file).toBeGreaterThan(1);
    }
  });
});
