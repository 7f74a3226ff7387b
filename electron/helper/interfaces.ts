/**
 * The interfaces a capture can use: names and descriptions from libpcap, addresses and
 * MACs from the OS (cap has no MACs), and the link type a capture on each will yield.
 */
import { Cap, type CapDevice } from 'cap';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW } from '../../shared/wire/linktypes';
import type { HelperInterface, InterfaceAddress } from './protocol';

const IEEE802_11_RADIO = 127;

/** cap's open() returns a name, not the DLT number; these are the names its binding knows. */
export function linkTypeFromCapName(name: string): number | null {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE_ETHERNET;
    case 'NULL':
      return LINKTYPE_NULL;
    case 'RAW':
      return LINKTYPE_RAW;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE_LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return IEEE802_11_RADIO;
    default: {
      // "Unknown linktype N": N is a DLT value, equal to the LINKTYPE value for every modern type.
      const match = /^Unknown linktype (\d+)$/.exec(name);
      return match ? Number(match[1]) : null;
    }
  }
}

/** Linux ARPHRD_* (from /sys/class/net/NAME/type) → the LINKTYPE libpcap captures it as. */
function linuxLinkType(name: string): number | null {
  if (name === 'any') return LINKTYPE_LINUX_SLL;
  const typePath = `/sys/class/net/${name}/type`;
  if (!existsSync(typePath)) return null;
  const arphrd = Number(readFileSync(typePath, 'utf8').trim());
  switch (arphrd) {
    case 1: // ETHER
    case 772: // LOOPBACK: libpcap presents Linux loopback as Ethernet with zero MACs
      return LINKTYPE_ETHERNET;
    case 65534: // NONE: tun devices carry bare IP
      return LINKTYPE_RAW;
    default:
      return null;
  }
}

function guessLinkType(device: CapDevice): number | null {
  if (process.platform === 'linux') return linuxLinkType(device.name);
  if (device.flags === 'PCAP_IF_LOOPBACK') return LINKTYPE_NULL; // macOS lo0, Npcap loopback
  return LINKTYPE_ETHERNET;
}

function isUp(name: string): boolean {
  if (process.platform !== 'linux') return true;
  const flagsPath = `/sys/class/net/${name}/flags`;
  if (!existsSync(flagsPath)) return name === 'any';
  return (Number.parseInt(readFileSync(flagsPath, 'utf8').trim(), 16) & 0x1) !== 0; // IFF_UP
}

function isLinuxLoopback(name: string): boolean {
  if (process.platform !== 'linux') return false;
  const typePath = `/sys/class/net/${name}/type`;
  return existsSync(typePath) && readFileSync(typePath, 'utf8').trim() === '772';
}

/** Why frames cannot be injected on an interface with this link type, or null when they can. */
export function injectRefusal(name: string, linkType: number | null): string | null {
  // Linux hands frames written to lo through a packet socket to captures only, never to its own IP stack.
  if (isLinuxLoopback(name))
    return `Linux does not deliver frames injected on the loopback device "${name}" to its IP stack (captures see them, nothing answers); send over a real or veth interface instead`;
  if (linkType === LINKTYPE_LINUX_SLL)
    return `"${name}" captures Linux cooked (SLL) frames, which have no link layer to send; pick a real interface`;
  if (linkType === null) return `the link type of "${name}" is unknown, so no link layer can be built for it`;
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_RAW && linkType !== LINKTYPE_NULL)
    return `"${name}" uses link type ${linkType}; only Ethernet, raw IP and BSD loopback framing can be injected`;
  return null;
}

export function interfaceMac(name: string): string | null {
  const entries = os.networkInterfaces()[name];
  const mac = entries?.find((entry) => entry.mac && entry.mac !== '')?.mac;
  if (mac) return mac;
  if (process.platform === 'linux' && existsSync(`/sys/class/net/${name}/address`)) {
    const text = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim();
    return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(text) ? text : null;
  }
  return null;
}

export function interfaceAddresses(name: string): InterfaceAddress[] {
  return (os.networkInterfaces()[name] ?? []).map((entry) => ({
    family: entry.family,
    address: entry.address,
    netmask: entry.netmask,
  }));
}

export function listInterfaces(): HelperInterface[] {
  return Cap.deviceList().map((device) => {
    const linkType = guessLinkType(device);
    const addresses = interfaceAddresses(device.name);
    // libpcap knows addresses of interfaces os.networkInterfaces() skips (e.g. down ones).
    if (addresses.length === 0) {
      for (const { addr, netmask } of device.addresses) {
        if (addr) addresses.push({ family: addr.includes(':') ? 'IPv6' : 'IPv4', address: addr, netmask });
      }
    }
    return {
      name: device.name,
      description: device.description ?? null,
      mac: interfaceMac(device.name),
      addresses,
      loopback: device.flags === 'PCAP_IF_LOOPBACK',
      up: isUp(device.name),
      linkType,
      injectRefusal: injectRefusal(device.name, linkType),
    };
  });
}
