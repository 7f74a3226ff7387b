/**
 * Community ID v1 against the specification's published examples (community-id-spec's README
 * and baseline, the same vectors Zeek's community_id_v1 tests use), SHA-1 against FIPS 180 and
 * node:crypto, and per-frame and per-connection IDs against tshark's `communityid` on one capture.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { communityId, communityIdOf, sha1 } from '../../../shared/flowid';
import { formatIpv6, parseIpv4, parseIpv6, toHex } from '../../../shared/wire/bytes';
import { Conversation, HAS_TSHARK, tempFile, trackFile, writeCapture } from '../track/scenario';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { CaptureReader } from '../../../shared/files';
import { readFileSync } from 'node:fs';

describe('SHA-1', () => {
  it('gives FIPS 180 examples and node:crypto\u2019s digest on every length around the block boundaries', () => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(toHex(sha1(text('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(toHex(sha1(text('')))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(toHex(sha1(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    for (let n = 0; n < 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(toHex(sha1(data)), `length ${n}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });
});

describe('Community ID v1: the specification\u2019s examples', () => {
  const v6a = 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D';
  const v6b = 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D';
  it.each([
    ['TCP', 6, '1.2.3.4', 1122, '5.6.7.8', 3344, 0, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
    ['UDP', 17, '1.2.3.4', 1122, '5.6.7.8', 3344, 0, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
    ['ICMP echo', 1, '1.2.3.4', 8, '5.6.7.8', 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
    ['ICMP echo reply', 1, '5.6.7.8', 0, '1.2.3.4', 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
    ['ICMPv6 echo', 58, v6a, 128, v6b, 0, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
    ['RSVP (no ports)', 46, '1.2.3.4', 0, '5.6.7.8', 0, 0, '1:ikv3kmf89luf73WPz1jOs49S768='],
    ['TCP, seed 1', 6, '1.2.3.4', 1122, '5.6.7.8', 3344, 1, '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
    ['UDP, seed 1', 17, '1.2.3.4', 1122, '5.6.7.8', 3344, 1, '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
    ['ICMP, seed 1', 1, '1.2.3.4', 8, '5.6.7.8', 0, 1, '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
    ['ICMPv6, seed 1', 58, v6a, 128, v6b, 0, 1, '1:IO27GQzPuCtNnwFvjWALMHu5tJE='],
  ])('%s', (_name, protocol, src, sport, dst, dport, seed, expected) => {
    expect(communityIdOf(protocol, src, sport, dst, dport, seed)).toBe(expected);
  });

  it('is the same in both directions', () => {
    expect(communityIdOf(6, '5.6.7.8', 3344, '1.2.3.4', 1122)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
    expect(communityIdOf(17, '5.6.7.8', 3344, '1.2.3.4', 1122)).toBe('1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  });
});

describe('Community ID from address text', () => {
  it('reads every text form of an address as the byte form gives it', () => {
    const ids = (a: string, b: string, v6: boolean): [string, string] => {
      const parse = v6 ? parseIpv6 : parseIpv4;
      return [communityIdOf(6, a, 40000, b, 443), communityId(6, { address: parse(a), port: 40000 }, { address: parse(b), port: 443 })];
    };
    const forms = ['::', '::1', '1::', '2001:db8::', 'fe80::1:2', '2001:DB8:0:0:0:0:0:1', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:198.18.0.1', '64:ff9b::198.51.100.7'];
    for (const a of forms) for (const b of forms) {
      const [fromText, fromBytes] = ids(a, b, true);
      expect(fromText, `${a} ${b}`).toBe(fromBytes);
    }
    let seed = 3;
    const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: 16 }, (_, j) => (j % 5 === i % 5 ? 0 : random() & 0xff));
      const v4 = `${random() & 0xff}.${random() & 0xff}.${random() & 0xff}.${random() & 0xff}`;
      const [t6, b6] = ids(formatIpv6(bytes), '2001:db8::1', true);
      expect(t6).toBe(b6);
      const [t4, b4] = ids(v4, '198.18.0.1', false);
      expect(t4).toBe(b4);
    }
    expect(() => communityIdOf(6, '1:2:3', 1, '::1', 2)).toThrow();
    expect(() => communityIdOf(6, '256.1.1.1', 1, '1.1.1.1', 2)).toThrow();
  });
});

describe.skipIf(!HAS_TSHARK)('Community ID against tshark\u2019s communityid', () => {
  it('decode\u2019s communityid and analyze\u2019s community_id equal tshark\u2019s for IPv4 and IPv6 connections', () => {
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    new Conversation({ address: '198.18.9.1', port: 40001, isn: 1 }, { address: '198.18.9.2', port: 443, isn: 2 }, all).send('c', 'S').send('s', 'SA').send('c', 'A');
    new Conversation({ address: '2001:db8::9', port: 40002, isn: 1 }, { address: '2001:db8::1', port: 80, isn: 2 }, all, 5e6).send('c', 'S').send('s', 'SA');
    const file = writeCapture(all, tempFile('cid.pcapng'));
    const theirs = execFileSync('tshark', ['-r', file, '--enable-protocol', 'communityid', '-T', 'fields', '-e', 'communityid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    const pipeline = new FramePipeline();
    const ours: unknown[] = [];
    let number = 0;
    const reader = new CaptureReader({
      onFrame: (frame) =>
        ours.push(pipeline.process({ frameNumber: ++number, linkType: frame.linkType, tsSeconds: frame.tsSeconds, tsNanos: frame.tsNanos, originalLength: frame.originalLength, data: frame.data }).fields.communityid),
    });
    reader.push(readFileSync(file));
    reader.end();
    expect(theirs.every((id) => id.startsWith('1:'))).toBe(true);
    expect(ours).toEqual(theirs);
    const tracked = trackFile(file);
    expect(tracked.json.map((c) => c.community_id)).toEqual([theirs[0], theirs[3]]);
  });
});
