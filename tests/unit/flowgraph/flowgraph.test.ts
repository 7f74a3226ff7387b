/**
 * The flow graph against tshark's `-z flow,tcp,network` and `,standard` on captures Scapy builds
 * (interleaved connections between several hosts, IPv4 and IPv6, a refused SYN, a retransmission,
 * a mid-stream connection, a reused port pair, UDP noise): same frames, same order, same from/to
 * columns and ports, same labels and comments. The exports are checked by their own parsers:
 * the SVG by an XML parser, PlantUML by PlantUML itself (syntax check, and its SVG rendering of
 * our escaped text), Mermaid structurally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Window } from 'happy-dom';
import { buildCli, runCliSync } from '../../support/cli';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../wire/oracle/oracle';
import { FlowGraph, flowExport, mermaidText, plantumlText, xmlText } from '../../../shared/flowgraph';

const ready = scapyAvailable && tsharkAvailable;
const plantumlAvailable = spawnSync('plantuml', ['-help'], { stdio: 'ignore' }).status === 0;
const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'flows.py');
const directory = ready ? tempDir('flowgraph-') : '';
if (ready) runPythonFile(SCRIPT, [directory]);
const cli = ready ? buildCli() : '';

interface TsharkFlowRow {
  conv: number | null;
  time: string;
  from: string;
  to: string;
  fromPort: number;
  toPort: number;
  label: string;
  comment: string;
}

/** Parses tshark's text flow graph: node names from the staggered header, each row's arrow by its column offsets. */
function tsharkFlow(file: string, type: 'network' | 'standard', filter?: string): { nodes: string[]; rows: TsharkFlowRow[] } {
  const text = execFileSync('tshark', ['-r', file, '-q', '-z', `flow,tcp,${type}${filter ? `,${filter}` : ''}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = text.split('\n');
  const head = lines.findIndex((line) => /^(Conv\.)?\|\s*Time/.test(line));
  const base = lines[head].indexOf('|', lines[head].indexOf('|') + 1) + 1;
  const even = lines[head].slice(base).split('|').map((s) => s.trim()).filter(Boolean);
  const odd = lines[head + 1].slice(base).split('|').map((s) => s.trim()).filter(Boolean);
  const nodes: string[] = [];
  for (let i = 0; i < even.length + odd.length; i++) nodes.push(i % 2 === 0 ? even[i / 2] : odd[(i - 1) / 2]);
  const rows: TsharkFlowRow[] = [];
  for (let i = head + 2; i < lines.length - 1; i++) {
    const top = lines[i];
    const match = /^(\d*)\s*\|(\d+\.\d+)\s*\|/.exec(top);
    if (!match) continue;
    const bottom = lines[i + 1];
    const arrow = /\((\d+)\)\s+(<?-+>?)\s+\((\d+)\)/.exec(bottom.slice(base));
    if (!arrow) throw new Error(`no arrow under: ${top}`);
    const leftAt = bottom.indexOf('(', base);
    const rightAt = bottom.indexOf('(', leftAt + 1);
    const left = Math.round((leftAt - base) / 20);
    // A self-arrow (one address) is drawn towards a column that does not exist.
    const right = Math.min(nodes.length - 1, Math.round((rightAt - base - 9) / 20));
    const rightward = arrow[2].endsWith('>') || left === right;
    const cells = top.slice(base);
    const commentAt = top.lastIndexOf('|');
    rows.push({
      conv: match[1] === '' ? null : Number(match[1]),
      time: match[2],
      from: nodes[rightward ? left : right],
      to: nodes[rightward ? right : left],
      fromPort: Number(rightward ? arrow[1] : arrow[3]),
      toPort: Number(rightward ? arrow[3] : arrow[1]),
      label: cells.slice(20 * left).split('|')[0].trim(),
      comment: top.slice(commentAt + 1).trim(),
    });
    i++;
  }
  return { nodes, rows };
}

interface OurRow {
  frame: number;
  time: number;
  from: string;
  to: string;
  fromPort: number;
  toPort: number;
  label: string;
  comment: string;
  stream: number;
  states: string;
}

/** Our graph through the CLI's text output (the user's path), parsed back. */
function ourFlow(file: string, args: string[] = []): string {
  const run = runCliSync(cli, ['flow', file, ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

/** Our rows from the Mermaid export: message lines carry frame, label and comment; participants the names. */
function mermaidRows(text: string): { nodes: string[]; rows: Array<{ frame: number; from: string; to: string; label: string; comment: string; reset: boolean }> } {
  const lines = text.split('\n');
  expect(lines[0]).toBe('sequenceDiagram');
  const nodes = new Map<string, string>();
  const rows: Array<{ frame: number; from: string; to: string; label: string; comment: string; reset: boolean }> = [];
  const decode = (s: string) => s.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  for (const line of lines.slice(1)) {
    if (line === '' || /^ {4}%%/.test(line)) continue;
    const participant = /^ {4}participant (N\d+) as ([^;#\n]+(?:#\d+;[^;#\n]*)*)$/.exec(line);
    if (participant) {
      expect(nodes.has(participant[1])).toBe(false);
      nodes.set(participant[1], decode(participant[2]));
      continue;
    }
    const message = /^ {4}(N\d+)(->>|-x)(N\d+): ([^;#<>\n]*(?:#\d+;[^;#<>\n]*)*)$/.exec(line);
    if (message) {
      // Every participant an arrow names was declared before it.
      expect(nodes.has(message[1]) && nodes.has(message[3])).toBe(true);
      const body = /^(\d+)\. (.*) \((Seq = \d+(?: Ack = \d+)?)\)$/.exec(decode(message[4]));
      expect(body).not.toBeNull();
      rows.push({ frame: Number(body![1]), from: nodes.get(message[1])!, to: nodes.get(message[3])!, label: body![2], comment: body![3], reset: message[2] === '-x' });
      continue;
    }
    const note = /^ {4}Note over (N\d+): [^;#<>\n]+$/.exec(line);
    if (note) {
      expect(nodes.has(note[1])).toBe(true);
      continue;
    }
    throw new Error(`not a well-formed Mermaid sequence line: ${JSON.stringify(line)}`);
  }
  return { nodes: [...nodes.values()], rows };
}

describe.skipIf(!ready)('flow graph against tshark -z flow,tcp', () => {
  for (const name of ['interleaved', 'retransmission', 'loopback']) {
    for (const type of ['network', 'standard'] as const) {
      it(`${name}.pcap: same frames, order, columns, ports, labels and comments as flow,tcp,${type}`, () => {
        const file = path.join(directory, `${name}.pcap`);
        const theirs = tsharkFlow(file, type);
        const ours = mermaidRows(ourFlow(file, ['--format', 'mermaid']));
        expect(ours.nodes).toEqual(theirs.nodes);
        expect(ours.rows.length).toBe(theirs.rows.length);
        const frames = execFileSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_relative', '-e', 'tcp.stream', '-e', 'tcp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .trim()
          .split('\n')
          .map((line) => line.split('\t'));
        theirs.rows.forEach((row, i) => {
          const mine = ours.rows[i];
          expect(mine.frame).toBe(Number(frames[i][0]));
          expect({ from: mine.from, to: mine.to, comment: mine.comment }).toEqual({ from: row.from, to: row.to, comment: row.comment });
          expect(Number(frames[i][3])).toBe(row.fromPort);
          // tshark cuts a long label to its column.
          expect(mine.label.startsWith(row.label)).toBe(true);
          expect(row.label.length >= Math.min(mine.label.length, 17)).toBe(true);
          expect(mine.reset).toBe(/RST/.test(mine.label));
          if (row.conv !== null) expect(row.conv).toBe(Number(frames[i][2]));
          expect(Number(row.time)).toBeCloseTo(Number(frames[i][1]), 6);
        });
      });
    }
  }

  it('a display filter keeps only its frames, in the same columns as tshark with the filter', () => {
    const file = path.join(directory, 'interleaved.pcap');
    const filter = 'tcp.flags.syn == 1 || tcp.port == 22';
    const theirs = tsharkFlow(file, 'network', filter);
    const ours = mermaidRows(ourFlow(file, ['--format', 'mermaid', '-Y', filter]));
    expect(ours.nodes).toEqual(theirs.nodes);
    expect(ours.rows.map((r) => [r.from, r.to, r.comment])).toEqual(theirs.rows.map((r) => [r.from, r.to, r.comment]));
  });

  it('--endpoints: one column per address:port, each arrow between its frame endpoints', () => {
    const file = path.join(directory, 'interleaved.pcap');
    const theirs = tsharkFlow(file, 'network');
    const ours = mermaidRows(ourFlow(file, ['--format', 'mermaid', '--endpoints']));
    const name = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
    expect(ours.rows.map((r) => [r.from, r.to])).toEqual(theirs.rows.map((r) => [name(r.from, r.fromPort), name(r.to, r.toPort)]));
    expect(new Set(ours.nodes).size).toBe(ours.nodes.length);
  });

  it('text: each row shows both ends’ states before → after (the refused SYN leaves the server CLOSED)', () => {
    const text = ourFlow(path.join(directory, 'interleaved.pcap'));
    const lines = text.split('\n');
    const synRow = lines.findIndex((line) => /\bSYN\b/.test(line) && !/ACK/.test(line) && line.includes('Seq = 0'));
    expect(lines[synRow + 1]).toMatch(/CLOSED→SYN_SENT \/ LISTEN→SYN_RECEIVED/);
    const refused = lines.findIndex((line, i) => /RST, ACK/.test(line) && lines[i + 1].includes('(81)'));
    expect(refused).toBeGreaterThan(0);
    expect(lines[refused + 1]).toMatch(/CLOSED \/ SYN_SENT→CLOSED/);
    // The mid-stream connection has no handshake: its rows still carry states, and UDP is absent.
    expect(text).not.toMatch(/5353/);
  });

  it('SVG is well-formed XML with one arrow group per frame and the state labels drawn', () => {
    const file = path.join(directory, 'interleaved.pcap');
    const svg = ourFlow(file, ['--format', 'svg']);
    const window = new Window();
    const parsed = new window.DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(parsed.querySelector('parsererror')).toBeNull();
    const groups = parsed.querySelectorAll('g[data-frame]');
    expect(groups.length).toBe(tsharkFlow(file, 'network').rows.length);
    expect([...parsed.querySelectorAll('text.state')].some((t) => t.textContent === 'CLOSED→SYN_SENT')).toBe(true);
    // The payload's special characters never reach the file unescaped (it carries "a<b>;#c%").
    expect(svg).not.toMatch(/<b>/);
    // xmllint, when present, agrees that it is well-formed.
    if (spawnSync('xmllint', ['--version'], { stdio: 'ignore' }).status === 0) {
      expect(spawnSync('xmllint', ['--noout', '-'], { input: svg }).status).toBe(0);
    }
  });

  it('-o writes the file; bad input gets one line and the documented exit codes', () => {
    const out = path.join(directory, 'out.puml');
    const file = path.join(directory, 'interleaved.pcap');
    const written = runCliSync(cli, ['flow', file, '--format', 'plantuml', '-o', out]);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^@startuml\n[\s\S]*@enduml\n$/);
    const usage = runCliSync(cli, ['flow', file, '--format', 'dot']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe('handshake flow: --format is text, svg, plantuml or mermaid, not "dot"');
    const missing = runCliSync(cli, ['flow', path.join(directory, 'nope.pcap')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const badFilter = runCliSync(cli, ['flow', file, '-Y', 'tcp.port ==']);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr.split('\n')[0]).toMatch(/^handshake flow: bad display filter/);
    const unwritable = runCliSync(cli, ['flow', file, '-o', path.join(directory, 'no-such-dir', 'x.svg')]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.skipIf(!plantumlAvailable)('PlantUML accepts the export (plantuml -syntax)', () => {
    const puml = ourFlow(path.join(directory, 'interleaved.pcap'), ['--format', 'plantuml']);
    const check = spawnSync('plantuml', ['-syntax'], { input: puml, encoding: 'utf8' });
    expect(check.stdout).toMatch(/^SEQUENCE/);
    expect(check.stdout).not.toMatch(/ERROR/);
  }, 60_000);
});

describe('label escaping', () => {
  const hostile = 'a **b** //c// ""d"" --e-- __f__ ~~g~~ <b>h</b> [[i]] #red \\n j ~ k;l#m%n{o}\r\np';

  it.skipIf(!plantumlAvailable)('PlantUML renders escaped text literally (checked in its own SVG output)', () => {
    const dir = tempDir('flowgraph-puml-');
    const file = path.join(dir, 'escape.puml');
    execFileSync('sh', ['-c', `cat > ${file}`], { input: `@startuml\nA -> B : ${plantumlText(hostile)}\n@enduml\n` });
    execFileSync('plantuml', ['-tsvg', file], { stdio: 'ignore' });
    const rendered = readFileSync(path.join(dir, 'escape.svg'), 'utf8');
    const texts = [...rendered.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&#160;/g, ' '));
    expect(texts.join('')).toContain(hostile.replace(/[\r\n]+/g, ' '));
    // No creole styling was applied.
    expect(rendered).not.toMatch(/font-weight="bold"|font-style="italic"|text-decoration/);
  }, 60_000);

  it('Mermaid text has no statement separator, entity start, tag or line break left', () => {
    const escaped = mermaidText(hostile);
    expect(escaped.replace(/#\d+;/g, '')).not.toMatch(/[;#<>\r\n]/);
    expect(escaped.replace(/#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))).toBe(hostile);
  });

  it('XML text survives a parser round trip, control characters replaced', () => {
    const window = new Window();
    const doc = new window.DOMParser().parseFromString(`<t>${xmlText(`${hostile}\u0001`)}</t>`, 'application/xml');
    expect(doc.documentElement.textContent).toBe(`${hostile.replace(/\r/g, '\n').replace(/\n\n/g, '\n')}\ufffd`.replace(/\n/g, doc.documentElement.textContent?.includes('\r') ? '\r\n' : '\n'));
  });

  it('rows of a window come from typed columns; states follow the tracker records', () => {
    const graph = new FlowGraph('addresses', () => ({
      client: [
        { state: 'SYN_SENT', frame: 1, time: { sec: 0, ns: 0 } },
        { state: 'ESTABLISHED', frame: 2, time: { sec: 0, ns: 0 } },
      ],
      server: [
        { state: 'LISTEN', frame: 1, time: { sec: 0, ns: 0 } },
        { state: 'SYN_RECEIVED', frame: 1, time: { sec: 0, ns: 0 } },
        { state: 'ESTABLISHED', frame: 3, time: { sec: 0, ns: 0 } },
      ],
    }));
    const base = { ipVersion: 4 as const, srcAddress: 'a', dstAddress: 'b', srcPort: 1, dstPort: 2, seq: 0, ack: 0, len: 0, stream: 0 };
    for (let i = 0; i < 5000; i++) graph.add({ ...base, frame: i + 1, time: i, flags: i === 0 ? 0x002 : 0x010, fromClient: i % 2 === 0 });
    expect(graph.length).toBe(5000);
    expect(graph.rows(0, 3).map((r) => [r.senderBefore, r.senderAfter, r.receiverBefore, r.receiverAfter])).toEqual([
      ['CLOSED', 'SYN_SENT', 'LISTEN', 'SYN_RECEIVED'],
      ['SYN_RECEIVED', 'SYN_RECEIVED', 'SYN_SENT', 'ESTABLISHED'],
      ['ESTABLISHED', 'ESTABLISHED', 'SYN_RECEIVED', 'ESTABLISHED'],
    ]);
    expect(graph.rows(4990, 100)).toHaveLength(10);
    expect(graph.rowOfFrame(4321)).toBe(4320);
    expect(flowExport(graph, 'mermaid', { start: 10, count: 5 }).split('\n').filter((l) => l.includes('->>'))).toHaveLength(5);
  });
});
