import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient, HelperRequestError } from '../../../electron/engine/helper-client';
import { buildHelper, isRoot } from '../../integration/capture/support';

// The real helper process, driven over its stdio protocol. No traffic is sent anywhere:
// opens use loopback with a filter nothing matches.
describe('the helper process', () => {
  let helperPath: string;
  beforeAll(() => {
    helperPath = buildHelper();
  });
  afterAll(() => rmSync(helperPath, { force: true }));

  it('answers garbage and unknown commands with errors and stays up', async () => {
    const helper = new HelperClient({ helperPath });
    const warnings: string[] = [];
    helper.onWarning = (message) => warnings.push(message);
    try {
      helper.writeRaw(new TextEncoder().encode('\x00\x01 definitely not a frame'));
      await expect(helper.request({ cmd: 'self-destruct' })).rejects.toMatchObject({ code: 'unknown-command' });
      await expect(helper.request({ cmd: 'open', device: '' })).rejects.toMatchObject({ code: 'bad-request' });
      const hello = await helper.hello();
      expect(hello).toMatchObject({ protocol: 1, timestampSource: expect.stringContaining('arrival time') });
      expect(warnings.some((warning) => warning.includes('garbled'))).toBe(true);
    } finally {
      const exit = await helper.stop();
      expect(exit).toMatchObject({ code: 0, reason: null });
    }
  });

  it('refuses to send before a device is open instead of crashing in cap', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const error = await helper.send({ frames: [new Uint8Array(60)], link: 'as-is' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HelperRequestError);
      expect(error).toMatchObject({ code: 'not-open' });
      expect(await helper.stats()).toMatchObject({ framesSent: 0 });
    } finally {
      await helper.stop();
    }
  });

  it('lists interfaces with their link types and MACs from the OS', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const interfaces = await helper.interfaces();
      const loopback = interfaces.find((entry) => entry.name === 'lo');
      // Linux never hands frames injected on lo to its own stack, so the helper says so up front.
      expect(loopback).toMatchObject({ loopback: true, linkType: 1, mac: '00:00:00:00:00:00', injectRefusal: expect.stringContaining('loopback') });
      expect(loopback?.addresses).toContainEqual(expect.objectContaining({ family: 'IPv4', address: '127.0.0.1' }));
      const any = interfaces.find((entry) => entry.name === 'any');
      if (any) expect(any).toMatchObject({ linkType: 113, injectRefusal: expect.stringContaining('SLL') });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('holds one capture per process and explains why a second open is refused', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const opened = await helper.open('lo', 'udp port 9 and host 127.0.0.9', 4 * 1024 * 1024);
      expect(opened).toMatchObject({ device: 'lo', linkType: 1, linkTypeName: 'ETHERNET' });
      await expect(helper.open('lo', '')).rejects.toMatchObject({ code: 'already-open' });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('validates a filter in a throwaway process, reporting libpcap\'s message', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      expect(await helper.validateFilter('tcp port 80 and host 198.18.0.2')).toMatchObject({ valid: true, message: null, linkType: 1 });
      expect(await helper.validateFilter('tcp port', { linkType: 1 })).toMatchObject({ valid: false, message: "can't parse filter expression: syntax error" });
      // The helper itself is still free to open its one capture afterwards.
      await expect(helper.open('lo', 'udp port 9 and host 127.0.0.9', 4 * 1024 * 1024)).resolves.toMatchObject({ device: 'lo' });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('a failed open poisons only that helper: retrying is refused, not aborted', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      await expect(helper.open('lo', 'not a filter at all (')).rejects.toMatchObject({ code: 'bad-filter' });
      await expect(helper.open('lo', '')).rejects.toMatchObject({ code: 'open-failed', message: expect.stringContaining('new helper') });
      expect(await helper.hello()).toMatchObject({ protocol: 1 });
    } finally {
      await helper.stop();
    }
  });
});
