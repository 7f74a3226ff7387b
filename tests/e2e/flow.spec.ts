/**
 * The Flow Graph view in Chromium through the browser host, on a capture Scapy builds with
 * several interleaved connections: rows and columns as tshark's -z flow,tcp,network, each end's
 * states drawn, the display-filter toggle, click selects the frame, virtualised rows, and the
 * three exports written to a file on the host (PlantUML checked by PlantUML itself when it is
 * installed); on a capture of more than 20,000 TCP frames, each export equals what the CLI's
 * `handshake flow -Y FILTER --format F -o` writes for the same filter, byte for byte.
 */
import { expect, test } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, haveTshark, openCapture, ROOT, run, startHost, SYSTEM_PYTHON, tempDir, tsharkFrameNumbers, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';
const havePlantuml = spawnSync('plantuml', ['-help'], { stdio: 'ignore' }).status === 0;

/** tshark's flow rows: time, comment and the node names of the header, in order. */
function tsharkFlowComments(file: string): string[] {
  const text = execFileSync('tshark', ['-r', file, '-q', '-z', 'flow,tcp,network'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return text
    .split('\n')
    .filter((line) => /^\d*\s*\|\d+\.\d+\s*\|/.test(line))
    .map((line) => line.slice(line.lastIndexOf('|') + 1).trim());
}

test.describe('Flow Graph through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  let host: RunningHost;
  let dir: string;
  let capture: string;

  test.beforeAll(async () => {
    dir = tempDir('flow');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'unit', 'flowgraph', 'flows.py'), dir]);
    capture = path.join(dir, 'interleaved.pcap');
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every connection’s rows with states; filter toggle; click selects; exports write files', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    const tcpFrames = tsharkFrameNumbers(capture, 'tcp');
    await expect(page.getByTestId('counts')).toContainText(`Frames: ${tcpFrames.length + 1}`);
    await page.keyboard.press('Alt+Shift+F');
    const view = page.getByTestId('flow-view');
    await expect(view).toBeVisible();
    const streams = tsharkFrameNumbers(capture, 'tcp.flags.syn == 1 && tcp.flags.ack == 0').length;
    await expect(page.getByTestId('flow-count')).toHaveText(new RegExp(`^${tcpFrames.length} rows · ${streams + 1} connections$`));

    // Column names as tshark's header, and every row in tshark's order with its comment.
    const rows = view.getByTestId('flow-row');
    await expect(rows.first()).toHaveAttribute('data-frame', String(tcpFrames[0]));
    const shown = await rows.evaluateAll((nodes) => nodes.map((n) => ({ frame: Number((n as SVGElement).dataset.frame), stream: Number((n as SVGElement).dataset.stream) })));
    expect(shown.length).toBeGreaterThan(5);
    // Virtualised: only the rows in view exist, never all of them at once for a long graph.
    expect(shown.length).toBeLessThan(tcpFrames.length);
    expect(shown.map((r) => r.frame)).toEqual(tcpFrames.slice(0, shown.length));
    const comments = tsharkFlowComments(capture);
    const ourComments = await view.getByTestId('flow-comment').allTextContents();
    expect(ourComments).toEqual(comments.slice(0, ourComments.length));
    // Both connections' rows are there, with each end's states drawn (the first SYN: client and server).
    expect(new Set(shown.map((r) => r.stream)).size).toBeGreaterThanOrEqual(2);
    await expect(rows.first().getByTestId('flow-state-sender')).toHaveText('CLOSED→SYN_SENT');
    await expect(rows.first().getByTestId('flow-state-receiver')).toHaveText('LISTEN→SYN_RECEIVED');

    // Scrolled to the end, the last rows are drawn (fetched by page) and the first ones are gone.
    await page.getByTestId('flow-scroller').focus();
    await page.keyboard.press('End');
    await expect(rows.last()).toHaveAttribute('data-frame', String(tcpFrames[tcpFrames.length - 1]));

    // Displayed frames only: the packet list's filter.
    await page.keyboard.press('Alt+1');
    await page.getByTestId('filter-input').fill('tcp.port == 22');
    await page.getByTestId('filter-input').press('Enter');
    const ssh = tsharkFrameNumbers(capture, 'tcp.port == 22');
    await page.keyboard.press('Alt+Shift+F');
    await page.getByTestId('flow-displayed').check();
    await expect(page.getByTestId('flow-count')).toHaveText(`${ssh.length} rows · 1 connections`);
    expect(await rows.evaluateAll((nodes) => nodes.map((n) => Number((n as SVGElement).dataset.frame)))).toEqual(ssh);
    await expect(view.getByTestId('flow-node')).toHaveText(['198.18.0.2', '198.18.0.4']);

    // Click a row: its frame is selected in the packet list.
    const target = ssh[3];
    await view.locator(`[data-testid=flow-row][data-frame="${target}"]`).click();
    await expect(view.locator(`[data-testid=flow-row][data-frame="${target}"]`)).toHaveClass(/selected/);
    await page.keyboard.press('Alt+1');
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', String(target));
    await page.keyboard.press('Alt+Shift+F');
    await page.getByTestId('flow-all').check();
    await expect(page.getByTestId('flow-count')).toHaveText(`${tcpFrames.length} rows · ${streams + 1} connections`);
    // The selected frame's row is brought into view and marked.
    await expect(view.locator(`[data-testid=flow-row][data-frame="${target}"]`)).toHaveClass(/selected/);

    // Exports: written to the file typed on the host, with the format's extension.
    // Waits for this export's own notice (the one before stays on screen until it is replaced).
    const save = async (format: 'svg' | 'mermaid' | 'plantuml') => {
      await page.getByTestId('flow-save-path').fill(path.join(dir, 'flow-graph.svg'));
      await page.getByTestId(`flow-export-${format}`).click();
      const saved = new RegExp(`^saved \\d+ rows as ${format} to `);
      await expect(page.locator('.notice[role=status]')).toHaveText(saved);
      const file = (await page.locator('.notice[role=status]').textContent())!.replace(saved, '');
      return { file, text: readFileSync(file, 'utf8') };
    };
    const svg = await save('svg');
    expect(svg.file).toBe(path.join(dir, 'flow-graph.svg'));
    const groups = execFileSync(SYSTEM_PYTHON, ['-c', 'import sys, xml.etree.ElementTree as E; t=E.parse(sys.argv[1]); print(sum(1 for g in t.iter("{http://www.w3.org/2000/svg}g") if g.get("data-frame")))', svg.file], { encoding: 'utf8' });
    expect(Number(groups)).toBe(tcpFrames.length);
    const mermaid = await save('mermaid');
    expect(mermaid.text.startsWith('sequenceDiagram\n')).toBe(true);
    expect(mermaid.text.split('\n').filter((line) => /^ {4}N\d+(->>|-x)N\d+: /.test(line))).toHaveLength(tcpFrames.length);
    const puml = await save('plantuml');
    expect(puml.file).toBe(path.join(dir, 'flow-graph.puml'));
    expect(puml.text).toMatch(/^@startuml\n[\s\S]*\n@enduml\n$/);
    if (havePlantuml) {
      const check = spawnSync('plantuml', ['-syntax'], { input: puml.text, encoding: 'utf8' });
      expect(check.stdout).toMatch(/^SEQUENCE/);
    }
    // An existing file is replaced only once the user confirms.
    await page.getByTestId('flow-save-path').fill(path.join(dir, 'flow-graph.mmd'));
    await page.getByTestId('flow-export-mermaid').click();
    await expect(page.getByTestId('flow-exists')).toHaveText(`${path.join(dir, 'flow-graph.mmd')} exists.`);
    await page.getByTestId('flow-replace').click();
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved ${tcpFrames.length} rows as mermaid to ${path.join(dir, 'flow-graph.mmd')}`);
  });

  test('on more than 20,000 rows, each export from the UI equals the CLI’s for the same filter', async ({ page }) => {
    const big = path.join(dir, 'many.pcap');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'fixtures', 'scripts', 'many_flows.py'), big, '3000']);
    const filter = '!(tcp.port == 25)';
    const shown = tsharkFrameNumbers(big, filter).length;
    expect(shown).toBeGreaterThan(20_000);
    await page.goto(host.url);
    await openCapture(page, big);
    await page.getByTestId('filter-input').fill(filter);
    await page.getByTestId('filter-input').press('Enter');
    await page.keyboard.press('Alt+Shift+F');
    await page.getByTestId('flow-displayed').check();
    await expect(page.getByTestId('flow-count')).toHaveText(new RegExp(`^${shown} rows · `), { timeout: 60_000 });
    const cli = path.join(ROOT, 'out', 'node', 'handshake.cjs');
    for (const [format, extension, testId] of [
      ['svg', 'svg', 'flow-export-svg'],
      ['plantuml', 'puml', 'flow-export-plantuml'],
      ['mermaid', 'mmd', 'flow-export-mermaid'],
    ] as const) {
      const ours = path.join(dir, `many-ui.${extension}`);
      await page.getByTestId('flow-save-path').fill(ours);
      await page.getByTestId(testId).click();
      await expect(page.locator('.notice[role=status]')).toHaveText(`saved ${shown} rows as ${format} to ${ours}`, { timeout: 60_000 });
      const theirs = path.join(dir, `many-cli.${extension}`);
      run(process.execPath, [cli, 'flow', big, '-Y', filter, '--format', format, '-o', theirs]);
      expect(existsSync(theirs)).toBe(true);
      const cliText = readFileSync(theirs, 'utf8');
      expect(readFileSync(ours, 'utf8') === cliText, `${format}: the UI's file equals the CLI's`).toBe(true);
      expect(cliText).not.toContain('first 20000');
      if (format === 'mermaid') expect(cliText.split('\n').filter((line) => /^ {4}N\d+(->>|-x)N\d+: /.test(line))).toHaveLength(shown);
    }
  });
});
