/**
 * The flow graph's Mermaid export checked by Mermaid itself (mermaid 11, the devDependency) in
 * Chromium: each diagram must pass `mermaid.parse()` and render, and the rendered SVG must hold
 * the participants and messages tshark reads from the same frames (its TCP frames, and their
 * addresses or address:port pairs). A diagram whose participant names hold quotes, colons,
 * semicolons, `#`, `<`, `>`, `&`, `%`, braces, a tab and non-ASCII must render those names verbatim.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FlowGraph, flowExport } from '../../shared/flowgraph';
import { haveScapy, haveTshark, ROOT, run, SYSTEM_PYTHON, tempDir } from './support';

const MERMAID = path.join(ROOT, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');

interface Rendered {
  error?: string;
  participants: number;
  names: string[];
  messages: string[];
}

/** Parses and renders `text` with Mermaid in the page; the SVG's participant boxes, their names and the message texts. */
async function renderMermaid(page: Page, text: string): Promise<Rendered> {
  return page.evaluate(async (diagram) => {
    const mermaid = (window as unknown as { mermaid: { initialize(o: object): void; parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', maxTextSize: 10_000_000 });
    try {
      await mermaid.parse(diagram);
    } catch (error) {
      return { error: String((error as Error).message ?? error), participants: 0, names: [], messages: [] };
    }
    const { svg } = await mermaid.render(`d${Math.floor(Math.random() * 1e9)}`, diagram);
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      participants: doc.querySelectorAll('rect.actor-top').length,
      names: [...new Set(Array.from(doc.querySelectorAll('text.actor'), (t) => t.textContent ?? ''))],
      messages: Array.from(doc.querySelectorAll('text.messageText'), (t) => t.textContent ?? ''),
    };
  }, text);
}

/** tshark's TCP frames of `file` passing `filter`: number and both ends (address, or address:port). */
function tsharkFrames(file: string, filter: string, ports: boolean): Array<{ frame: number; from: string; to: string }> {
  const fields = ['frame.number', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport'];
  return run('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [frame, src4, dst4, src6, dst6, sport, dport] = line.split('\t');
      const src = src4 || src6;
      const dst = dst4 || dst6;
      // An IPv6 address:port in brackets, as URLs write it.
      const end = (address: string, port: string) => (ports ? `${address.includes(':') ? `[${address}]` : address}:${port}` : address);
      return { frame: Number(frame), from: end(src, sport), to: end(dst, dport) };
    });
}

test.describe('Mermaid renders the flow graph export', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  let dir: string;

  test.beforeAll(() => {
    dir = tempDir('mermaid');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'unit', 'flowgraph', 'flows.py'), dir]);
  });
  test.afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.beforeEach(async ({ page }) => {
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: MERMAID });
  });

  const cases = [
    { capture: 'interleaved', filter: 'tcp', mode: 'addresses' },
    { capture: 'interleaved', filter: 'tcp', mode: 'endpoints' },
    { capture: 'interleaved', filter: 'tcp.port == 443 || ipv6', mode: 'addresses' },
    { capture: 'retransmission', filter: 'tcp', mode: 'endpoints' },
    { capture: 'loopback', filter: 'tcp', mode: 'addresses' },
  ] as const;
  for (const { capture, filter, mode } of cases) {
    test(`${capture}.pcap, -Y "${filter}", ${mode}: parsed, rendered, tshark's participants and one message per frame`, async ({ page }) => {
      const file = path.join(dir, `${capture}.pcap`);
      const out = path.join(dir, `${capture}-${mode}.mmd`);
      run(process.execPath, [path.join(ROOT, 'out', 'node', 'handshake.cjs'), 'flow', file, '-Y', filter, '--format', 'mermaid', `--${mode}`, '-o', out]);
      const rendered = await renderMermaid(page, readFileSync(out, 'utf8'));
      expect(rendered.error).toBeUndefined();
      const frames = tsharkFrames(file, filter, mode === 'endpoints');
      expect(frames.length).toBeGreaterThan(0);
      const ends = new Set(frames.flatMap((f) => [f.from, f.to]));
      expect(rendered.participants).toBe(ends.size);
      expect(rendered.names.sort()).toEqual([...ends].sort());
      expect(rendered.messages).toHaveLength(frames.length);
      // Each message starts with its frame's number, in tshark's order.
      expect(rendered.messages.map((m) => Number(m.split('.')[0]))).toEqual(frames.map((f) => f.frame));
    });
  }

  test('participant names with quotes, colons, semicolons, #, <, >, &, %, braces and non-ASCII render verbatim', async ({ page }) => {
    const names = ['say "hi": a;b', '#35; <b>bold</b> & 100%', 'café ✓ {x} [y] --> end', 'tab\there', 'π:2001:db8::1'];
    const graph = new FlowGraph('addresses');
    names.forEach((name, i) => {
      const base = { ipVersion: 4 as const, srcPort: 1000 + i, dstPort: 80, seq: 0, ack: 0, len: 0, stream: -1, fromClient: true, flags: 0x010 };
      graph.add({ ...base, frame: 2 * i + 1, time: i, srcAddress: name, dstAddress: names[(i + 1) % names.length] });
      graph.add({ ...base, frame: 2 * i + 2, time: i + 0.5, srcAddress: names[(i + 1) % names.length], dstAddress: name, flags: 0x014 });
    });
    const rendered = await renderMermaid(page, flowExport(graph, 'mermaid'));
    expect(rendered.error).toBeUndefined();
    expect(rendered.participants).toBe(names.length);
    expect(rendered.names.sort()).toEqual([...names].sort());
    expect(rendered.messages).toHaveLength(2 * names.length);
  });
});
