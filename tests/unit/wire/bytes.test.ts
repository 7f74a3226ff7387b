/**
 * Address text forms: RFC 5952's own examples, then Python's ipaddress module (an independent
 * RFC 5952 implementation) on many random addresses; bit-field reads and writes.
 */
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, formatMac, fromHex, parseIpv4, parseIpv6, parseMac, readBits, toHex, writeBits } from '../../../shared/wire/bytes';
import { PYTHON, runPython } from './oracle/oracle';
import { SeededRandom } from './support/random';
import { existsSync } from 'node:fs';

describe('IPv6 text (RFC 5952)', () => {
  it.each([
    // §4.1 leading zeros; §4.2.1 longest run; §4.2.2 a single 16-bit 0 is not shortened; §4.2.3 first of equal runs; §4.3 lowercase
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    // §5: IPv4-mapped addresses keep the dotted quad
    ['::ffff:c612:0001', '::ffff:198.18.0.1'],
  ])('%s → %s', (input, canonical) => {
    expect(formatIpv6(parseIpv6(input))).toBe(canonical);
  });

  it('rejects text that is not an address', () => {
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '']) expect(() => parseIpv6(bad), bad).toThrow(SyntaxError);
  });

  it.skipIf(!existsSync(PYTHON))('matches Python’s ipaddress on 2,000 random addresses with zero runs', () => {
    const random = new SeededRandom(5952);
    const addresses = Array.from({ length: 2000 }, () => {
      const bytes = random.bytes(16);
      // Zero out random groups so that runs of every length and position occur.
      for (let group = 0; group < 8; group++) if (random.below(2) === 0) bytes[group * 2] = bytes[group * 2 + 1] = 0;
      return bytes;
    });
    const script = 'import sys, ipaddress\nfor line in sys.stdin.read().split():\n    print(ipaddress.IPv6Address(bytes.fromhex(line)).compressed)';
    const theirs = runPython(script, [], addresses.map((bytes) => toHex(bytes)).join('\n')).trim().split('\n');
    addresses.forEach((bytes, index) => {
      // Python writes IPv4-mapped addresses in hex groups; RFC 5952 §5 recommends the dotted form.
      if (theirs[index].startsWith('::ffff:') && !theirs[index].includes('.')) return;
      expect(formatIpv6(bytes)).toBe(theirs[index]);
      expect(toHex(parseIpv6(theirs[index]))).toBe(toHex(bytes));
    });
  });

  it('remembered texts stay the texts of their own addresses (20,000 formats of 3,000 addresses that share prefixes)', () => {
    // formatIpv6 keeps recent texts by value; the parser (checked against Python above) must give each text's bytes back.
    const random = new SeededRandom(0x6e7);
    const addresses = Array.from({ length: 3000 }, () => {
      const bytes = parseIpv6('2001:db8:1::');
      bytes[random.below(16)] = random.below(256);
      bytes[14] = random.below(256);
      bytes[15] = random.below(256);
      return bytes;
    });
    for (let i = 0; i < 20_000; i++) {
      const bytes = random.pick(addresses);
      const framed = new Uint8Array(40);
      framed.set(bytes, 8);
      expect(toHex(parseIpv6(formatIpv6(framed, 8)))).toBe(toHex(bytes));
    }
    // A cut address (bytes past the end) is formatted, never served from another address's text.
    expect(formatIpv6(parseIpv6('::ffff:0.0.0.0'))).toBe('::ffff:0.0.0.0');
    expect(formatIpv6(parseIpv6('::ffff:0.0.0.0').subarray(0, 12))).not.toBe('::ffff:0.0.0.0');
  });
});

describe('IPv4 and MAC text', () => {
  it('formats and parses', () => {
    expect(formatIpv4(fromHex('c6120001'))).toBe('198.18.0.1');
    expect(toHex(parseIpv4('198.18.255.0'))).toBe('c612ff00');
    expect(formatMac(fromHex('AABBCC0D0E0F'))).toBe('aa:bb:cc:0d:0e:0f');
    // Recent texts are cached by value: thousands of addresses (colliding in the cache) and repeats stay right.
    const random = new SeededRandom(5);
    const macs = Array.from({ length: 3000 }, () => random.bytes(6));
    for (const mac of [...macs, ...macs.slice(0, 500), ...macs.slice(2500)]) {
      expect(formatMac(mac)).toBe(Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':'));
    }
    const frame = fromHex('0000aabbcc0d0e0f0102');
    expect(formatMac(frame, 2)).toBe('aa:bb:cc:0d:0e:0f');
    expect(formatMac(frame, 4)).toBe('cc:0d:0e:0f:01:02');
    expect(toHex(parseMac('AA-bb-cc-0d-0e-0f'))).toBe('aabbcc0d0e0f');
  });

  it('rejects malformed text', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d']) expect(() => parseIpv4(bad), bad).toThrow(SyntaxError);
    for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:fg', 'aabbccddeeff']) expect(() => parseMac(bad), bad).toThrow(SyntaxError);
  });
});

describe('bit fields', () => {
  it('reads the TCP data offset and flags where RFC 9293 puts them', () => {
    // Byte 12 = 0x8 data offset (8 words) with AE set; byte 13 = SYN|ACK.
    const header = fromHex('000000000000000000000000' + '8112');
    expect(readBits(header, 12, 0, 4)).toBe(8);
    expect(readBits(header, 12, 4, 12)).toBe(0x112);
  });

  it('writes any field without touching its neighbours (random fields over random bytes)', () => {
    const random = new SeededRandom(8);
    for (let round = 0; round < 5000; round++) {
      const bytes = random.bytes(8);
      const before = bytes.slice();
      const bitOffset = random.below(32);
      const bitWidth = 1 + random.below(32);
      const value = Math.floor(random.next() * 2 ** bitWidth);
      writeBits(bytes, 0, bitOffset, bitWidth, value);
      expect(readBits(bytes, 0, bitOffset, bitWidth)).toBe(value);
      for (let bit = 0; bit < 64; bit++) {
        if (bit >= bitOffset && bit < bitOffset + bitWidth) continue;
        expect(readBits(bytes, 0, bit, 1)).toBe(readBits(before, 0, bit, 1));
      }
    }
  });
});
