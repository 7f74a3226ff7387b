/**
 * TCP stream graphs in Chromium through the browser host, on a real Linux transfer with loss
 * recorded by the test: every graph's points against tshark's fields on the same frames
 * (tcp.seq/nxtseq/ack/window_size, SACK edges, tcp.analysis.ack_rtt, acks_frame and
 * bytes_in_flight; throughput recomputed from tshark's frame times and lengths), a click on a
 * point selects its frame, the keyboard pans and resets, and PNG/SVG exports are valid files.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { canRecordTransfer, recordLossyTransfer, TRANSFER_SKIP_REASON } from '../support/lossy-transfer';
import { haveTshark, openCapture, run, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

interface Probe {
  graph: { stream: number; maWindow: number; direction: string } | null;
  spec: { series: Array<{ label: string; style: string; x: ArrayLike<number>; y: ArrayLike<number>; y2?: ArrayLike<number>; frame: ArrayLike<number> }> } | null;
  view(): { x: [number, number]; y: [number, number] };
  pointAt(series: number, row: number): { x: number; y: number } | null;
}
type Series = { label: string; style: string; x: number[]; y: number[]; y2: number[] | null; frame: number[] };

const GRAPH = '[data-testid=stream-graph]';

/** The drawn series of the current graph, as plain arrays. */
async function drawnSeries(page: Page): Promise<Series[]> {
  return page.locator(GRAPH).evaluate((el) => {
    const probe = (el as HTMLElement & { streamGraphProbe?: Probe }).streamGraphProbe;
    return (probe?.spec?.series ?? []).map((s) => ({ label: s.label, style: s.style, x: Array.from(s.x), y: Array.from(s.y), y2: s.y2 ? Array.from(s.y2) : null, frame: Array.from(s.frame) }));
  });
}

async function showGraph(page: Page, kind: string): Promise<Series[]> {
  const before = Number(await page.locator(GRAPH).getAttribute('data-draws'));
  await page.getByTestId('graph-kind').selectOption(kind);
  await expect.poll(async () => Number(await page.locator(GRAPH).getAttribute('data-draws'))).toBeGreaterThan(before);
  return drawnSeries(page);
}

/** tshark -T fields rows keyed by field (several occurrences joined by commas). */
function tsharkRows(file: string, filter: string, fields: string[]): Array<Record<string, string>> {
  const out = run('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => Object.fromEntries(line.split('\t').map((value, i) => [fields[i], value])));
}

function byLabel(series: Series[], label: string): Series {
  const found = series.find((s) => s.label.startsWith(label));
  if (!found) throw new Error(`no series ${label} among ${series.map((s) => s.label).join(', ')}`);
  return found;
}

test.describe('TCP stream graphs', () => {
  test.skip(!canRecordTransfer || !haveTshark, `${TRANSFER_SKIP_REASON}, and tshark`);
  let host: RunningHost;
  let dir: string;
  let capture: string;
  const CLIENT_DATA = 'tcp.dstport == 5001 && (tcp.len > 0 || tcp.flags.syn == 1 || tcp.flags.fin == 1)';
  const SERVER_ACKS = 'tcp.srcport == 5001 && tcp.flags.ack == 1';

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dir = tempDir('graphs');
    capture = path.join(dir, 'transfer.pcap');
    await recordLossyTransfer('gre2e', capture, { bytes: 1_500_000, lossAfterTap: 0.02 });
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('each graph draws tshark\u2019s values for the same frames; direction switch; click selects; keyboard; PNG and SVG export', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(host.url);
    await openCapture(page, capture);
    // From the Connections view: select the connection, then "Stream graph".
    await page.keyboard.press('Alt+2');
    await page.locator('.connections-view [data-stream="0"]').click();
    await page.getByTestId('open-graph').click();
    await expect(page.locator(GRAPH)).toBeVisible();
    await expect.poll(async () => Number(await page.locator(GRAPH).getAttribute('data-draws'))).toBeGreaterThan(0);

    // Stevens: one point per client segment, at its time and tcp.seq.
    const segments = tsharkRows(capture, CLIENT_DATA, ['frame.number', 'frame.time_relative', 'tcp.seq', 'tcp.nxtseq', 'tcp.len', 'tcp.analysis.bytes_in_flight']);
    expect(segments.length).toBeGreaterThan(800);
    let series = await showGraph(page, 'stevens');
    const stevens = byLabel(series, 'Segments');
    expect(stevens.frame).toEqual(segments.map((r) => Number(r['frame.number'])));
    expect(stevens.y).toEqual(segments.map((r) => Number(r['tcp.seq'])));
    stevens.x.forEach((x, i) => expect(Math.abs(x - Number(segments[i]['frame.time_relative']))).toBeLessThan(1e-6));

    // tcptrace: segment bars seq → nxtseq; the server's ACK line and window edge; SACK blocks.
    series = await showGraph(page, 'tcptrace');
    const bars = byLabel(series, 'Segments');
    expect(bars.y2).toEqual(segments.map((r) => Number(r['tcp.nxtseq'])));
    const acks = tsharkRows(capture, SERVER_ACKS, ['frame.number', 'tcp.ack', 'tcp.window_size', 'tcp.options.sack_le', 'tcp.options.sack_re']);
    const ackLine = byLabel(series, 'ACK');
    expect(ackLine.frame).toEqual(acks.map((r) => Number(r['frame.number'])));
    expect(ackLine.y).toEqual(acks.map((r) => Number(r['tcp.ack'])));
    expect(byLabel(series, 'Receive window').y).toEqual(acks.map((r) => Number(r['tcp.ack']) + Number(r['tcp.window_size'])));
    const sackRows = acks.flatMap((r) => (r['tcp.options.sack_le'] ? r['tcp.options.sack_le'].split(',').map((le, k) => [Number(r['frame.number']), Number(le), Number(r['tcp.options.sack_re'].split(',')[k])]) : []));
    expect(sackRows.length).toBeGreaterThan(3);
    const sack = byLabel(series, 'SACK');
    expect(sack.frame.map((f, i) => [f, sack.y[i], sack.y2?.[i]])).toEqual(sackRows);

    // Throughput: segment lengths, and the moving average recomputed from tshark's times and lengths.
    series = await showGraph(page, 'throughput');
    const maWindow = await page.locator(GRAPH).evaluate((el) => (el as HTMLElement & { streamGraphProbe?: Probe }).streamGraphProbe?.graph?.maWindow ?? 0);
    expect(maWindow).toBeGreaterThan(0);
    const dataRows = segments.filter((r) => Number(r['tcp.len']) > 0);
    expect(byLabel(series, 'Segment length').y).toEqual(dataRows.map((r) => Number(r['tcp.len'])));
    const average = byLabel(series, 'Average throughput');
    dataRows.forEach((r, i) => {
      const t = Number(r['frame.time_relative']);
      // The segments sent up to this one (in capture order) within the trailing window.
      const bytes = dataRows.slice(0, i + 1).filter((o) => Number(o['frame.time_relative']) > t - maWindow).reduce((n, o) => n + Number(o['tcp.len']), 0);
      expect(Math.abs(average.y[i] - (bytes * 8) / maWindow)).toBeLessThanOrEqual(1e-6 * Math.max(1, average.y[i]) + (1448 * 8) / maWindow);
    });
    // (The bound allows one segment at the window's edge, where tshark's 9-decimal times round.)

    // RTT: tshark's ack_rtt (ms) against the acknowledged segment's tcp.seq.
    series = await showGraph(page, 'rtt');
    const rttRows = tsharkRows(capture, `${SERVER_ACKS} && tcp.analysis.acks_frame`, ['frame.number', 'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt']);
    expect(rttRows.length).toBeGreaterThan(20);
    const seqOf = new Map(segments.map((r) => [Number(r['frame.number']), Number(r['tcp.seq'])]));
    const rtt = byLabel(series, 'RTT');
    expect(rtt.frame).toEqual(rttRows.map((r) => Number(r['frame.number'])));
    rttRows.forEach((r, i) => {
      expect(Math.abs(rtt.y[i] - Number(r['tcp.analysis.ack_rtt'] || 0) * 1000)).toBeLessThan(1e-6);
      expect(rtt.x[i]).toBe(seqOf.get(Number(r['tcp.analysis.acks_frame'])));
    });

    // Window scaling: the server's receive window and the client's bytes in flight.
    series = await showGraph(page, 'window');
    expect(byLabel(series, 'Receive window').y).toEqual(acks.map((r) => Number(r['tcp.window_size'])));
    const flight = segments.filter((r) => r['tcp.analysis.bytes_in_flight'] !== '');
    const inFlight = byLabel(series, 'Bytes in flight');
    expect(inFlight.frame).toEqual(flight.map((r) => Number(r['frame.number'])));
    expect(inFlight.y).toEqual(flight.map((r) => Number(r['tcp.analysis.bytes_in_flight'])));

    // A click on a point selects its frame (here a Stevens point in the middle of the transfer).
    series = await showGraph(page, 'stevens');
    const row = Math.floor(stevens.frame.length / 2);
    const at = await page.locator(GRAPH).evaluate((el, r) => (el as HTMLElement & { streamGraphProbe?: Probe }).streamGraphProbe?.pointAt(0, r) ?? null, row);
    expect(at).not.toBeNull();
    if (at) await page.mouse.click(at.x, at.y);
    const selected = page.getByTestId('graph-selected');
    await expect(selected).toHaveAttribute('data-frame', /\d+/);
    const picked = Number(await selected.getAttribute('data-frame'));
    // The nearest point: the one clicked, or a neighbour drawn on the same pixel.
    const pickedRow = stevens.frame.indexOf(picked);
    expect(Math.abs(pickedRow - row)).toBeLessThanOrEqual(2);
    await page.getByTestId('graph-show-frame').click();
    await expect(page.locator('section[aria-label="Packets view"] [role=row][aria-selected=true]')).toHaveAttribute('data-frame', String(picked));

    // Back with Alt+8; the keyboard pans (arrow) and resets (0).
    await page.keyboard.press('Alt+8');
    await expect.poll(async () => Number(await page.locator(GRAPH).getAttribute('data-draws'))).toBeGreaterThan(0);
    await page.locator(GRAPH).focus();
    const view = () => page.locator(GRAPH).evaluate((el) => (el as HTMLElement & { streamGraphProbe?: Probe }).streamGraphProbe?.view().x ?? [0, 0]);
    const home = await view();
    await page.keyboard.press('ArrowRight');
    const moved = await view();
    expect(moved[0]).toBeCloseTo(home[0] + (home[1] - home[0]) * 0.1, 6);
    await page.keyboard.press('0');
    expect(await view()).toEqual(home);

    // Direction switch: the server's segments (its SYN+ACK and FIN) and the client's ACKs.
    await page.getByTestId('graph-direction').click();
    await expect(page.getByTestId('graph-direction')).toContainText('198.18.0.2:5001 → 198.18.0.1');
    await expect.poll(async () => (await drawnSeries(page))[0]?.frame.length ?? -1).toBe(tsharkRows(capture, 'tcp.srcport == 5001 && (tcp.len > 0 || tcp.flags.syn == 1 || tcp.flags.fin == 1)', ['frame.number']).length);
    await page.getByTestId('graph-direction').click();
    await expect(page.getByTestId('graph-direction')).toContainText('198.18.0.1');

    // Exports: a PNG with a valid signature and size, an SVG that parses and holds every visible point.
    await showGraph(page, 'tcptrace');
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('graph-export-png').click()]);
    const pngPath = path.join(dir, png.suggestedFilename());
    await png.saveAs(pngPath);
    const bytes = readFileSync(pngPath);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(300); // IHDR width
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(200); // IHDR height
    expect(bytes.subarray(-8, -4).toString('latin1')).toBe('IEND');
    const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('graph-export-svg').click()]);
    const svgPath = path.join(dir, svg.suggestedFilename());
    await svg.saveAs(svgPath);
    // Python's XML parser: well-formed, and one path per series with every segment bar in it.
    const counted = run(SYSTEM_PYTHON, [
      '-c',
      'import sys, xml.etree.ElementTree as E\nns={"s":"http://www.w3.org/2000/svg"}\nroot=E.parse(sys.argv[1]).getroot()\nfor p in root.iter("{http://www.w3.org/2000/svg}path"):\n  print(p.get("data-series"), p.get("data-rows"), p.get("d").count("M"))',
      svgPath,
    ]);
    const rows = Object.fromEntries(counted.trim().split('\n').map((line) => { const parts = line.split(' '); return [parts.slice(0, -2).join(' '), [Number(parts[parts.length - 2]), Number(parts[parts.length - 1])]]; }));
    expect(rows['Segments']).toEqual([segments.length, segments.length]);
    expect(rows['SACK'][0]).toBe(sackRows.length);
  });
});
