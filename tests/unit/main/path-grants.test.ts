/**
 * The Electron main process's path gate (issue 11): a renderer (even a compromised one)
 * can open only paths from the main process's open dialog, its recent list or the command
 * line, and write only a path its save dialog returned, once.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PathGrants } from '../../../electron/main/path-grants';

describe('main process path grants', () => {
  it('Follow Stream\'s Save as… writes only where the save dialog pointed, once', () => {
    const grants = new PathGrants();
    const target = path.resolve('/tmp/stream.txt');
    const params = { sessionId: 's1', kind: 'tcp', stream: 0, http2Stream: null, path: target, format: 'raw', direction: 'both' };
    expect(() => grants.check('saveFollow', { ...params, path: '/home/victim/.bashrc' })).toThrow(/refusing to write/);
    grants.grant('save', target);
    expect(grants.check('saveFollow', params)).toMatchObject({ overwrite: true });
    expect(() => grants.check('saveFollow', params)).toThrow(/refusing to write/);
  });

  it('the flow graph export writes only where the save dialog pointed, once', () => {
    const grants = new PathGrants();
    const target = path.resolve('/tmp/flow-graph.mmd');
    const params = { sessionId: 's1', filter: '', nodes: 'addresses', format: 'mermaid', path: target };
    expect(() => grants.check('saveFlowGraph', { ...params, path: '/home/victim/.profile' })).toThrow(/refusing to write/);
    grants.grant('save', target);
    expect(grants.check('saveFlowGraph', params)).toMatchObject({ overwrite: true });
    expect(() => grants.check('saveFlowGraph', params)).toThrow(/refusing to write/);
  });

  it('a page-load recording starts only the installed browser or one from the open dialog, and takes no switches from the window', () => {
    const grants = new PathGrants();
    const params = { url: 'https://example.test/', browser: null, interface: null, headless: true, browserArgs: [] as string[] };
    expect(grants.check('recordPageLoad', params)).toEqual(params);
    expect(() => grants.check('recordPageLoad', { ...params, browser: '/bin/sh' })).toThrow(/refusing to start \/bin\/sh/);
    expect(() => grants.check('recordPageLoad', { ...params, browserArgs: ['--renderer-cmd-prefix=/bin/touch /tmp/pwned'] })).toThrow(/refusing browser arguments/);
    grants.grant('open', '/opt/browsers/chromium');
    expect(grants.check('recordPageLoad', { ...params, browser: '/opt/browsers/../browsers/chromium' })).toMatchObject({ browser: '/opt/browsers/../browsers/chromium' });
  });

  it('refuses to open a path the main process never handed out', () => {
    const grants = new PathGrants();
    expect(() => grants.check('openFile', { path: '/home/victim/.ssh/id_ed25519' })).toThrow(/refusing to open/);
  });

  it('accepts a path from the open dialog or the command line, compared after resolving', () => {
    const grants = new PathGrants();
    grants.grant('open', '/data/captures/a.pcap');
    expect(grants.check('openFile', { path: '/data/captures/../captures/a.pcap' })).toEqual({ path: '/data/captures/../captures/a.pcap' });
    // An open grant is not a write grant.
    expect(() => grants.check('saveAs', { sessionId: 's1', path: '/data/captures/a.pcap', format: 'pcap' })).toThrow(/refusing to write/);
  });

  it('accepts the recent list as it is when the request arrives', () => {
    let recent = ['/data/old.pcapng'];
    const grants = new PathGrants(() => recent);
    expect(grants.check('openFile', { path: '/data/old.pcapng' })).toEqual({ path: '/data/old.pcapng' });
    recent = [];
    expect(() => grants.check('openFile', { path: '/data/old.pcapng' })).toThrow(/refusing to open/);
  });

  it('a save-dialog path may be written once, and carries overwrite (the dialog asked)', () => {
    const grants = new PathGrants();
    const target = path.resolve('/tmp/out.pcapng');
    grants.grant('save', target);
    expect(grants.check('exportFrames', { path: target, format: 'pcapng', linkType: 1, framesHex: ['00'] })).toMatchObject({ overwrite: true });
    expect(() => grants.check('exportFrames', { path: target, format: 'pcapng', linkType: 1, framesHex: ['00'] })).toThrow(/refusing to write/);
    grants.grant('save', target);
    expect(grants.check('saveAs', { sessionId: 's1', path: target, format: 'pcapng', overwrite: false })).toEqual({ sessionId: 's1', path: target, format: 'pcapng', overwrite: true });
    // Export Specified Packets writes only where the save dialog pointed, once.
    const exportParams = { sessionId: 's1', path: target, format: 'pcap', range: 'marked', filter: '', indices: [] };
    expect(() => grants.check('exportPackets', exportParams)).toThrow(/refusing to write/);
    grants.grant('save', target);
    expect(grants.check('exportPackets', exportParams)).toMatchObject({ range: 'marked', overwrite: true });
  });

  it('refuses a write to an ungranted path, and lets other methods through untouched', () => {
    const grants = new PathGrants(() => ['/data/a.pcap']);
    expect(() => grants.check('saveAs', { sessionId: 's1', path: '/data/a.pcap', format: 'pcap' })).toThrow(/refusing to write/);
    const params = { sessionId: 's1', start: 0, count: 10, filter: '' };
    expect(grants.check('getRows', params)).toBe(params);
  });

  it('scripts are read and written only through the dialogs, as captures are', () => {
    const grants = new PathGrants();
    const script = path.resolve('/tmp/exchange.pkt');
    expect(() => grants.check('readScript', { path: script })).toThrow(/refusing to open/);
    expect(() => grants.check('writeScript', { path: script, text: '' })).toThrow(/refusing to write/);
    grants.grant('open', script);
    expect(grants.check('readScript', { path: script })).toEqual({ path: script });
    grants.grant('save', script);
    expect(grants.check('writeScript', { path: script, text: 'x' })).toEqual({ path: script, text: 'x', overwrite: true });
    expect(() => grants.check('writeScript', { path: script, text: 'x' })).toThrow(/refusing to write/);
  });
});
