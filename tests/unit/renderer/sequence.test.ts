/**
 * The sequence editor's logic: template lines carry the numbers RFC 9293 gives (a SYN and a FIN
 * take one sequence number each, data its length), captured frames become lines in each side's
 * relative numbers (frames built by Scapy with known ISNs), and the store drives a run through
 * the API and gathers its events.
 */
import { spawnSync } from 'node:child_process';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiEvent, type RunScriptParams, type WorkbenchApi } from '../../../shared/api';
import { parseScript } from '../../../shared/conversation/script';
import { toHex } from '../../../shared/wire/bytes';
import { setApi } from '../../../renderer/src/api/instance';
import { appendLine, lineFromPacket, parseForEditor, positionAfter, templateLine, type StepTemplate } from '../../../renderer/src/lib/sequence';
import { useCaptureStore } from '../../../renderer/src/stores/capture';
import { LIBRARY, useSequenceStore } from '../../../renderer/src/stores/sequence';
import { useSessionStore } from '../../../renderer/src/stores/session';

const SYSTEM_PYTHON = '/usr/bin/python3';
const haveScapy = spawnSync(SYSTEM_PYTHON, ['-c', 'import scapy.all']).status === 0;

function scapy(expression: string): Uint8Array {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', `from scapy.all import *\nimport sys\nsys.stdout.write(bytes(${expression}).hex())`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return Uint8Array.from(result.stdout.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function build(templates: StepTemplate[]): string {
  let text = '';
  for (const template of templates) {
    const parsed = parseScript(text);
    text = appendLine(text, templateLine(template, positionAfter(parsed.steps)));
  }
  return text;
}

describe('sequence templates', () => {
  it('a whole exchange from templates parses, each line numbered after the ones before it', () => {
    const text = build(['syn', 'expect-synack', 'ack', 'data', 'expect-ack', 'fin', 'expect-fin', 'ack']);
    const steps = parseScript(text).steps;
    const view = steps.map((step) => [step.direction, step.seqStart, step.length, step.ack]);
    expect(view).toEqual([
      ['<', 0, 0, null], // SYN: our ISN
      ['>', 0, 0, 1], // SYN+ACK acknowledges ISN + 1
      ['<', 1, 0, 1], // ACK of the peer's SYN
      ['<', 1, 18, 1], // 18 bytes of request
      ['>', 1, 0, 19], // the peer acknowledges 1 + 18
      ['<', 19, 0, 1], // our FIN at 19
      ['>', 1, 0, 20], // the peer's FIN acknowledges our FIN (19 + 1)
      ['<', 20, 0, 2], // our last ACK: after the peer's FIN
    ]);
    expect(steps[0].time).toEqual({ kind: 'at', at: { relative: false, seconds: 0 } });
    expect(steps[1].time).toEqual({ kind: 'at', at: { relative: true, seconds: 0 } });
    expect(steps[6].time).toEqual({ kind: 'any' });
    // The request keeps its CR LF pairs.
    expect(new TextDecoder().decode(steps[3].payload ?? new Uint8Array())).toBe('GET / HTTP/1.0\r\n\r\n');
  });

  it('parse errors give line and column', () => {
    const parsed = parseForEditor('0 < S 0:0(0)\n+0 > S. 0:0(0) ack x\n');
    expect(parsed).toMatchObject({ ok: false, line: 2, column: '+0 > S. 0:0(0) ack x'.indexOf('x') + 1 });
  });

  it.skipIf(!haveScapy)('a captured SYN+ACK and a data segment become lines in relative numbers (Scapy frames with known ISNs)', () => {
    // Our ISN 1000, the peer's 5000: the ladder's relative numbers are seq 0 / ack 1 for the SYN+ACK.
    const synAck = scapy(
      "IP(src='198.18.0.2',dst='198.18.0.1')/TCP(sport=80,dport=40000,flags='SA',seq=5000,ack=1001,window=65160,options=[('MSS',1460),('SAckOK',b''),('Timestamp',(77,100)),('NOP',None),('WScale',7)])",
    );
    expect(lineFromPacket(synAck, false, { seq: 0, ack: 1 }, '+0')).toBe('+0      > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 77 ecr 100,nop,wscale 7>');
    const data = scapy("IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=40000,dport=80,flags='PA',seq=1001,ack=5001,window=502)/Raw(b'GET / HTTP/1.0\\r\\n\\r\\n')");
    const line = lineFromPacket(data, true, { seq: 1, ack: 1 }, '+0.01') ?? '';
    expect(line).toBe('+0.01   < P. 1:19(18) ack 1 win 502 "GET / HTTP/1.0\\r\\n\\r\\n"');
    // The line reads back as the same segment, bytes included.
    const step = parseScript(line).steps[0];
    expect(toHex(step.payload ?? new Uint8Array())).toBe(toHex(data.subarray(40)));
    // Not TCP: no line.
    expect(lineFromPacket(scapy("IP(src='198.18.0.1',dst='198.18.0.2')/UDP(sport=1,dport=2)"), true, null, '0')).toBeNull();
  });
});

describe('sequence store', () => {
  let calls: RunScriptParams[];
  let steps: Array<{ runId: string; mode: string }>;
  let written: Array<{ path: string; overwrite?: boolean }>;

  beforeEach(() => {
    setActivePinia(createPinia());
    calls = [];
    steps = [];
    written = [];
    const api = {
      runScript: vi.fn(async (params: RunScriptParams) => {
        calls.push(params);
        return { runId: 'r1', sessionId: 's9', local: { address: params.local, port: params.localPort ?? 45000 }, steps: 4, skipped: [], kernel: 'not-owner' as const, suppressionRule: null };
      }),
      scriptStep: vi.fn(async (params: { runId: string; mode: string }) => {
        steps.push(params);
        return null;
      }),
      stopScript: vi.fn(async () => null),
      getFrame: vi.fn(async () => {
        throw new ApiError('not-found', 'not yet');
      }),
      writeScript: vi.fn(async (params: { path: string; text: string; overwrite?: boolean }) => {
        written.push(params);
        if (!params.overwrite) throw new ApiError('exists', `${params.path} already exists`);
        return { path: params.path };
      }),
    };
    setApi(api as unknown as WorkbenchApi);
  });

  it('ships the nine library scripts, each with the line saying what it shows', () => {
    expect(LIBRARY.map((entry) => entry.name)).toHaveLength(9);
    for (const entry of LIBRARY) {
      expect(entry.title.length).toBeGreaterThan(20);
      expect(parseForEditor(entry.text).ok).toBe(true);
    }
  });

  it('refuses to run without an interface, addresses or a valid script, and says which', async () => {
    const sequence = useSequenceStore();
    sequence.text = '0 < S 0:0(0)\n+0 > Q 0:0(0)\n';
    expect(sequence.fieldErrors).toEqual([
      'choose the interface in the capture bar',
      "local: our endpoint's IP address",
      'remote: the peer as ADDR:PORT ([IPV6]:PORT)',
      'script line 2:6: unknown TCP flag "Q" (flags are S F R P . U E W)',
    ]);
    await sequence.start(false);
    expect(calls).toHaveLength(0);
  });

  it('runs through the API and gathers each line, the hold before a step, and the end', async () => {
    const sequence = useSequenceStore();
    useCaptureStore().selected = 'veth0';
    sequence.openLibrary('closed-port.pkt');
    sequence.local = '198.18.0.11';
    sequence.remote = '198.18.0.2:81';
    sequence.localPort = '45000';
    await sequence.start(true);
    expect(calls[0]).toMatchObject({ interface: 'veth0', local: '198.18.0.11', localPort: 45000, remote: '198.18.0.2', remotePort: 81, toleranceMs: 4, step: true });
    expect(calls[0].script).toBe(sequence.text);
    const event = (e: ApiEvent) => sequence.handleEvent(e);
    event({ type: 'script-waiting', runId: 'r1', line: 3 });
    expect(sequence.status).toBe('waiting');
    expect(sequence.waitingLine).toBe(3);
    await sequence.start(true); // Step while held: the next line, not a new run
    expect(steps).toEqual([{ runId: 'r1', mode: 'step' }]);
    expect(calls).toHaveLength(1);
    event({ type: 'script-step', runId: 'r1', line: 3, dir: '<', expected: 'S 0:0(0) <mss 1460>', actual: 'S 0:0(0) win 65535 <mss 1460>', ok: true, time: 0, reason: null, state: 'SYN_SENT', frameIndex: 1 });
    event({ type: 'script-step', runId: 'other', line: 9, dir: '<', expected: '', actual: null, ok: true, time: 0, reason: null, state: 'CLOSED', frameIndex: 5 });
    event({ type: 'script-step', runId: 'r1', line: 4, dir: '>', expected: 'R. 0:0(0) ack 1 win 0', actual: 'R. 0:0(0) ack 2 win 0', ok: false, time: 0.001, reason: 'ack 2 instead of 1', state: 'CLOSED', frameIndex: 2 });
    expect(sequence.results.map((result) => result.line)).toEqual([3, 4]);
    expect(sequence.byFrame.get(2)?.reason).toBe('ack 2 instead of 1');
    // The marks apply on the ladder only while the run's session is the one shown.
    expect(sequence.marksApply).toBe(false);
    useSessionStore().adopt({ sessionId: 's9', kind: 'capture', name: 'script on veth0', frames: 3, complete: false, linkType: 1 });
    expect(sequence.marksApply).toBe(true);
    event({ type: 'script-end', runId: 'r1', ok: false, stopped: false, steps: 2, passed: 1, failedLine: 4, reason: 'ack 2 instead of 1', cleanup: null, state: 'CLOSED', error: null });
    expect(sequence.status).toBe('ended');
    expect(sequence.end?.failedLine).toBe(4);
  });

  it('Save asks before replacing an existing file, then replaces it', async () => {
    const sequence = useSequenceStore();
    sequence.path = '/tmp/x.pkt';
    await sequence.saveFile();
    expect(sequence.confirmReplace).toBe('/tmp/x.pkt');
    await sequence.saveFile(true);
    expect(written.map((entry) => entry.overwrite ?? false)).toEqual([false, true]);
    expect(sequence.confirmReplace).toBeNull();
    expect(sequence.name).toBe('x.pkt');
  });
});
