/**
 * Finding the destination MAC for an injected frame: the next hop from the routing table,
 * then its MAC from the OS neighbour table. (Frames already seen and an ARP exchange are
 * the helper's other sources; see main.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { formatIpv6, formatMac, parseIpv4, parseIpv6, writeU16 } from '../../shared/wire/bytes';
import { internetChecksum, pseudoHeaderSum } from '../../shared/wire/checksum';

const COMMAND_TIMEOUT_MS = 2000;

function runIp(args: string[]): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return execFileSync('ip', args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The gateway to reach `address` through `device`, or `address` itself when it is on-link. */
export function nextHop(address: string, device: string): string {
  const family = address.includes(':') ? '-6' : '-4';
  const output = runIp([family, 'route', 'get', address, 'oif', device]);
  const via = output ? /\bvia\s+(\S+)/.exec(output) : null;
  return via ? via[1] : address;
}

/** The MAC of `address` in the kernel's neighbour table, when it has a usable entry. */
export function neighbourMac(address: string, device: string): string | null {
  if (!address.includes(':') && existsSync('/proc/net/arp')) {
    // IP address, HW type, Flags, HW address, Mask, Device; flag 0x2 = complete.
    for (const line of readFileSync('/proc/net/arp', 'utf8').split('\n').slice(1)) {
      const [ip, , flags, mac, , dev] = line.trim().split(/\s+/);
      if (ip === address && dev === device && (Number.parseInt(flags, 16) & 0x2) !== 0 && mac !== '00:00:00:00:00:00') return mac;
    }
    return null;
  }
  const output = runIp(['neigh', 'show', 'to', address, 'dev', device]);
  const match = output ? /\blladdr\s+([0-9a-f:]{17})\b(?!.*FAILED)/.exec(output) : null;
  return match ? match[1] : null;
}

export const ARP_FRAME_LENGTH = 42;

/** An Ethernet ARP who-has request for `targetIp`, from `senderMac`/`senderIp` (RFC 826). */
export function buildArpRequest(senderMac: Uint8Array, senderIp: string, targetIp: string): Uint8Array {
  const frame = new Uint8Array(ARP_FRAME_LENGTH);
  frame.fill(0xff, 0, 6);
  frame.set(senderMac, 6);
  writeU16(frame, 12, 0x0806);
  writeU16(frame, 14, 1); // hardware: Ethernet
  writeU16(frame, 16, 0x0800); // protocol: IPv4
  frame[18] = 6;
  frame[19] = 4;
  writeU16(frame, 20, 1); // request
  frame.set(senderMac, 22);
  frame.set(parseIpv4(senderIp), 28);
  frame.set(parseIpv4(targetIp), 38);
  return frame;
}

/** When `frame` is an Ethernet ARP reply, the sender's IPv4 (as a 32-bit number) and MAC. */
export function parseArpReply(frame: Uint8Array, length: number): { ip: number; mac: string } | null {
  if (length < ARP_FRAME_LENGTH || frame[12] !== 0x08 || frame[13] !== 0x06) return null;
  if (frame[20] !== 0 || frame[21] !== 2) return null;
  const ip = ((frame[28] << 24) | (frame[29] << 16) | (frame[30] << 8) | frame[31]) >>> 0;
  return { ip, mac: formatMac(frame, 22) };
}

const NS_FRAME_LENGTH = 14 + 40 + 32;

/**
 * An Ethernet/IPv6 neighbour solicitation for `targetIp` (RFC 4861 §4.3), sent to the
 * target's solicited-node multicast group with our link-layer address as an option.
 */
export function buildNeighbourSolicitation(senderMac: Uint8Array, senderIp: string, targetIp: string): Uint8Array {
  const target = parseIpv6(targetIp);
  const group = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, target[13], target[14], target[15]);
  const frame = new Uint8Array(NS_FRAME_LENGTH);
  frame.set([0x33, 0x33, 0xff, target[13], target[14], target[15]], 0);
  frame.set(senderMac, 6);
  writeU16(frame, 12, 0x86dd);
  frame[14] = 0x60;
  writeU16(frame, 18, 32); // payload length
  frame[20] = 58; // ICMPv6
  frame[21] = 255; // hop limit: RFC 4861 requires 255
  frame.set(parseIpv6(senderIp), 22);
  frame.set(group, 38);
  const icmp = 54;
  frame[icmp] = 135; // neighbour solicitation
  frame.set(target, icmp + 8);
  frame[icmp + 24] = 1; // source link-layer address option
  frame[icmp + 25] = 1; // length in units of 8 bytes
  frame.set(senderMac, icmp + 26);
  writeU16(frame, icmp + 2, internetChecksum(frame, icmp, NS_FRAME_LENGTH, pseudoHeaderSum(frame, 22, 38, 16, 58, 32)));
  return frame;
}

/** When `frame` is an Ethernet neighbour advertisement, its target address and the MAC it gives (or the sender's). */
export function parseNeighbourAdvertisement(frame: Uint8Array, length: number): { ip: string; mac: string } | null {
  if (length < 14 + 40 + 24 || frame[12] !== 0x86 || frame[13] !== 0xdd || frame[20] !== 58 || frame[54] !== 136) return null;
  const ip = formatIpv6(frame, 54 + 8);
  // The target link-layer address option (type 2) when present; else the frame's source MAC.
  for (let at = 54 + 24; at + 8 <= length; ) {
    const units = frame[at + 1];
    if (units === 0) break;
    if (frame[at] === 2) return { ip, mac: formatMac(frame, at + 2) };
    at += units * 8;
  }
  return { ip, mac: formatMac(frame, 6) };
}
