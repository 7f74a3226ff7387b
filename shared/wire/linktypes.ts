/** LINKTYPE_* values from the tcpdump.org link-layer header types registry. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: 'BSD loopback (NULL)',
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_RAW]: 'Raw IP',
  [LINKTYPE_LOOP]: 'OpenBSD loopback (LOOP)',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked capture v1',
  [LINKTYPE_IPV4]: 'Raw IPv4',
  [LINKTYPE_IPV6]: 'Raw IPv6',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked capture v2',
};

export function isSupportedLinkType(linkType: number): boolean {
  return Object.prototype.hasOwnProperty.call(LINKTYPE_NAMES, linkType);
}

export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `unknown link type ${linkType}`;
}

/** EtherTypes the decoder follows. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Older QinQ tag value some switches still emit. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;

/** BSD address families seen in NULL/LOOP headers: IPv6 differs per OS (NetBSD/OpenBSD 24, FreeBSD 28, macOS 30). */
export const BSD_AF_INET = 2;

export function isBsdInet6Family(family: number): boolean {
  return family === 24 || family === 28 || family === 30;
}

/** A family the NULL/LOOP decoders follow (used to guess the byte order NULL was written in). */
export function isKnownBsdFamily(family: number): boolean {
  return family === BSD_AF_INET || isBsdInet6Family(family);
}

/** IP protocol numbers the decoder follows. */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
