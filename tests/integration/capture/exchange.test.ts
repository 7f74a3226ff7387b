/**
 * The editor's Send (the backend's CaptureProvider.send, electron/engine/exchange.ts) behaves
 * as `handshake send` does: with no capture running, a SYN built with the editor's placeholder
 * MACs gets its link layer filled in, reaches a real Linux listener in another namespace, and
 * the server kernel's SYN+ACK comes back as the reply; the local kernel's RST is called out,
 * and with suppression on it never leaves.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft/encode';
import { templateFrame } from '../../../shared/craft/templates';
import { toHex } from '../../../shared/wire/bytes';
import { createHelperCaptureProvider } from '../../../electron/engine/helper-capture-provider';
import { buildHelper, canUseNamespaces, createVethLab, hasIptables, nodeInNamespace, tcpServerScript, type NodeInNamespace, type VethLab } from './support';

const OPEN_PORT = 8453;

/** The editor's SYN template as the editor builds it: Ethernet with its placeholder MACs (02:00:…). */
function editorSyn(src: string, dst: string, sport: number, seq: number): string {
  const spec = templateFrame('syn', { src, dst, srcPort: sport, dstPort: OPEN_PORT, seq });
  return toHex(encodeFrame(spec));
}

function field(bytes: Buffer, offset: number, length: number): number {
  return bytes.readUIntBE(offset, length);
}

describe.skipIf(!canUseNamespaces)('the engine\'s send waits for the reply (no capture running)', () => {
  let lab: VethLab;
  let helperPath: string;
  let server: NodeInNamespace;

  beforeAll(async () => {
    helperPath = buildHelper();
    lab = createVethLab('xch');
    server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, OPEN_PORT));
    await server.waitFor(/listening/);
  });
  afterAll(() => {
    server?.stop();
    lab?.destroy();
    rmSync(helperPath, { force: true });
  });

  it('fills the link layer, returns the server kernel\'s SYN+ACK as the reply, and names the local kernel\'s RST', async () => {
    const provider = createHelperCaptureProvider({ helperPath, launcher: ['ip', 'netns', 'exec', lab.client.ns] });
    const frameHex = editorSyn(lab.client.ip, lab.server.ip, 41101, 7000);
    expect(frameHex.slice(0, 12)).not.toBe(lab.server.mac.replace(/:/g, ''));
    const result = await provider.send({ interface: lab.client.ifname, linkType: 1, framesHex: [frameHex], count: 1, intervalMs: 0, waitMs: 3000 });
    expect(result.sent).toBe(1);
    expect(result.resolvedBy).toMatch(/^(arp|neighbour-table|seen-frames)$/);
    // On the wire: the interfaces' real MACs, whatever the editor's placeholders were.
    const sent = Buffer.from(result.frame?.bytesHex ?? '', 'hex');
    expect(sent.subarray(0, 6).toString('hex')).toBe(lab.server.mac.replace(/:/g, ''));
    expect(sent.subarray(6, 12).toString('hex')).toBe(lab.client.mac.replace(/:/g, ''));
    expect(result.frame?.line).toContain('41101 → 8453 [SYN]');
    // The reply is the listener's SYN+ACK: from the server port, acknowledging seq 7000 + 1.
    expect(result.replies.length).toBeGreaterThanOrEqual(1);
    const reply = Buffer.from(result.replies[0].bytesHex, 'hex');
    expect(result.replies[0].kind).toBe('reply');
    expect(result.replies[0].line).toContain('8453 → 41101 [SYN, ACK]');
    expect(field(reply, 34, 2)).toBe(OPEN_PORT);
    expect(field(reply, 14 + 20 + 8, 4)).toBe(7001);
    expect(reply[14 + 20 + 13] & 0x12).toBe(0x12);
    // The client namespace owns 198.18.0.1, so its kernel resets the hand-made handshake.
    expect(result.kernelRst?.frame.line).toContain('[RST]');
    expect(result.kernelRst?.explanation).toMatch(/own kernel/);
    expect(result.suppressionRule).toBeNull();
  });

  it.skipIf(!hasIptables)('with kernel-RST suppression ticked, no RST leaves for that 4-tuple and the rule is gone afterwards', async () => {
    const provider = createHelperCaptureProvider({ helperPath, launcher: ['ip', 'netns', 'exec', lab.client.ns] });
    const result = await provider.send({
      interface: lab.client.ifname,
      linkType: 1,
      framesHex: [editorSyn(lab.client.ip, lab.server.ip, 41102, 9000)],
      count: 1,
      intervalMs: 0,
      waitMs: 1500,
      suppressKernelRst: true,
    });
    expect(result.replies[0]?.line).toContain('[SYN, ACK]');
    expect(result.kernelRst).toBeNull();
    expect(result.suppressionRule).toMatch(/--sport 41102/);
    expect(lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT'])).not.toContain('41102');
  });

  it('a SYN to a port nobody listens on gets the RST+ACK as its reply', async () => {
    const provider = createHelperCaptureProvider({ helperPath, launcher: ['ip', 'netns', 'exec', lab.client.ns] });
    const spec = templateFrame('syn', { src: lab.client.ip, dst: lab.server.ip, srcPort: 41103, dstPort: OPEN_PORT + 1, seq: 500 });
    const result = await provider.send({ interface: lab.client.ifname, linkType: 1, framesHex: [toHex(encodeFrame(spec))], count: 1, intervalMs: 0, waitMs: 2000 });
    expect(result.replies).toHaveLength(1);
    expect(result.replies[0].line).toContain('[RST, ACK]');
    expect(result.kernelRst).toBeNull();
  });
});
