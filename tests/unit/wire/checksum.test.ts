/**
 * The Internet checksum against RFC 1071's worked example and Scapy's checksum(), and the
 * status rules of cli.md (good / bad / partial / unverified).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/wire/bytes';
import { checksumStatus, foldSum, internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../../shared/wire/checksum';
import { runPython, scapyAvailable } from './oracle/oracle';
import { SeededRandom } from './support/random';

describe('RFC 1071 §3 example', () => {
  // Bytes 00 01 f2 03 f4 f5 f6 f7: the 16-bit sum is 2ddf0, folded ddf2; the checksum is its complement.
  const bytes = fromHex('0001f203f4f5f6f7');

  it('sums and folds as the RFC shows', () => {
    expect(onesComplementSum(bytes, 0, 8)).toBe(0x2ddf0);
    expect(foldSum(0x2ddf0)).toBe(0xddf2);
    expect(internetChecksum(bytes, 0, 8)).toBe(0x220d);
  });

  it('is independent of byte-swapping order: summing in either order gives the same folded sum', () => {
    const swapped = fromHex('f4f5f6f70001f203');
    expect(foldSum(onesComplementSum(swapped, 0, 8))).toBe(0xddf2);
  });

  it('pads an odd final byte with zero', () => {
    expect(onesComplementSum(fromHex('0001f2'), 0, 3)).toBe(0x0001 + 0xf200);
  });
});

describe.skipIf(!scapyAvailable)('agrees with Scapy’s checksum() on random data', () => {
  it('matches for 200 random buffers of odd and even lengths', () => {
    const random = new SeededRandom(1071);
    const buffers = Array.from({ length: 200 }, () => random.bytes(1 + random.below(300)));
    const script = `
import sys
from scapy.utils import checksum
for line in sys.stdin.read().split():
    print(checksum(bytes.fromhex(line)))
`;
    const output = runPython(script, [], buffers.map((buffer) => toHex(buffer)).join('\n'));
    const theirs = output.trim().split('\n').map(Number);
    expect(theirs).toHaveLength(buffers.length);
    buffers.forEach((buffer, index) => expect(internetChecksum(buffer, 0, buffer.length)).toBe(theirs[index]));
  });
});

describe('checksum status', () => {
  it('unverified when the covered bytes were not captured', () => {
    const bytes = fromHex('450000280001000040060000c6120001c6120002');
    expect(checksumStatus(bytes, 0, 40, 20, 10)).toBe('unverified');
  });

  it.skipIf(!scapyAvailable)('good for Scapy’s header checksum, bad after changing one bit, partial for the pseudo-header sum', () => {
    const out = runPython(`
from scapy.all import IP, TCP, raw
from scapy.layers.inet import in4_chksum
import struct
from scapy.utils import checksum
ip = raw(IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=1, dport=2))
pseudo = struct.pack("!4s4sHH", ip[12:16], ip[16:20], 6, len(ip) - 20)
print(ip.hex())
print((~checksum(pseudo)) & 0xffff)
`);
    const [hex, folded] = out.trim().split('\n');
    const packet = fromHex(hex);
    expect(checksumStatus(packet, 0, 20, packet.length, 10)).toBe('good');
    const pseudo = pseudoHeaderSum(packet, 12, 16, 4, 6, packet.length - 20);
    expect(foldSum(pseudo)).toBe(Number(folded));
    expect(checksumStatus(packet, 20, packet.length, packet.length, 36, pseudo)).toBe('good');
    const broken = packet.slice();
    broken[22] ^= 0x01;
    expect(checksumStatus(broken, 20, broken.length, broken.length, 36, pseudo)).toBe('bad');
    // What a sender with checksum offload captures: only the folded pseudo-header sum in the field.
    const offloaded = packet.slice();
    offloaded[36] = Number(folded) >> 8;
    offloaded[37] = Number(folded) & 0xff;
    expect(checksumStatus(offloaded, 20, offloaded.length, offloaded.length, 36, pseudo)).toBe('partial');
  });
});
