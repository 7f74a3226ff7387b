/**
 * The workbench's view of HTTP (the engine behind both hosts): a real capture of HTTP/2 over
 * TLS, h2c and HTTP/1.1 (tests/fixtures/http) opened, its key log attached; the packet list's
 * Protocol and Info columns, the display filter and the detail tree held against tshark.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import type { DetailNode, SessionInfo } from '../../../shared/api';
import { hasTshark } from '../capture/support';
import { TSHARK_REASSEMBLY } from '../../support/tshark-preferences';
import { captureHttpLab, httpLabUnavailable, type HttpLabCapture } from '../../fixtures/http/http-capture';
import { openIndexed } from '../../support/engine';

const unavailable = httpLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');

describe.skipIf(unavailable !== null)('engine: HTTP/1.1 and HTTP/2 in the packet list, filter and detail tree', { timeout: 240_000 }, () => {
  let lab: HttpLabCapture;
  let backend: Backend;
  let session: SessionInfo;

  const rows = async (filter: string) => {
    for (let attempt = 0; ; attempt++) {
      const result = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10_000, filter });
      if (result.complete || attempt > 400) return result.rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const tshark = (filter: string) =>
    execFileSync('tshark', [...TSHARK_REASSEMBLY, '-o', `tls.keylog_file:${lab.keylogFile}`, '-d', 'tcp.port==8080,http2', '-r', lab.file, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    lab = await captureHttpLab('hte');
    ({ backend, session } = await openIndexed(lab.file));
  }, 240_000);
  afterAll(async () => {
    await backend?.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    lab?.cleanup();
  });

  it('before the key log: HTTP/1.1 and h2c rows as tshark shows them; after it, HTTP/2 over TLS too', async () => {
    const cleartext = (await rows('http || http2')).map((row) => `${row.index + 1}\t${row.protocol}\t${row.info}`);
    expect(cleartext.length).toBeGreaterThan(20);
    expect(cleartext.some((row) => row.includes('HEADERS[1]: GET /'))).toBe(true);
    expect(cleartext.some((row) => row.includes('GET /chunked HTTP/1.1'))).toBe(true);
    await backend.handlers.attachKeyLog({ sessionId: session.sessionId, path: lab.keylogFile });
    const all = (await rows('http || http2')).map((row) => `${row.index + 1}\t${row.protocol}\t${row.info}`);
    expect(all).toEqual(tshark('http || http2'));
    const big = (await rows('http2.headers.path == "/big"')).map((row) => row.index + 1);
    expect(big).toEqual(tshark('http2.headers.path == "/big"').map((line) => Number(line.split('\t')[0])));
  });

  it('the detail tree shows the HTTP/2 frames with their decoded headers, and HTTP/1.1 lines', async () => {
    const [request] = await rows('http2.headers.path == "/missing"');
    const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: request.index });
    const flat = (nodes: DetailNode[]): DetailNode[] => nodes.flatMap((node) => [node, ...flat(node.children)]);
    const nodes = flat(detail.tree);
    expect(nodes.some((node) => node.label === 'HyperText Transfer Protocol 2' && node.field === 'http2')).toBe(true);
    expect(nodes.some((node) => node.field === 'http2.header.value' && node.label === 'Value: /missing')).toBe(true);
    expect(nodes.some((node) => node.field === 'http2.header' && node.label === 'Header: x-custom: one')).toBe(true);
    const [response] = await rows('http.response.code == 404');
    const h1 = flat((await backend.handlers.getFrame({ sessionId: session.sessionId, index: response.index })).tree);
    expect(h1.some((node) => node.field === 'http.response.code' && node.label === 'Status Code: 404')).toBe(true);
  });
});
