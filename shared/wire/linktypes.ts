/** LINKTYPE_* values from the tcpdump.org link-layer header types registry. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_JUNIPER_ETHER = 178;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_IPOIB = 242;
export const LINKTYPE_PKTAP = 258;

export const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: 'BSD loopback (NULL)',
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_RAW]: 'Raw IP',
  [LINKTYPE_LOOP]: 'OpenBSD loopback (LOOP)',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked capture v1',
  [LINKTYPE_IPV4]: 'Raw IPv4',
  [LINKTYPE_IPV6]: 'Raw IPv6',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked capture v2',
  [LINKTYPE_PPP]: 'PPP',
  [LINKTYPE_PPP_HDLC]: 'PPP in HDLC-like framing',
  [LINKTYPE_C_HDLC]: 'Cisco HDLC',
  [LINKTYPE_IEEE802_11_RADIOTAP]: '802.11 with radiotap',
  [LINKTYPE_JUNIPER_ETHER]: 'Juniper Ethernet',
  [LINKTYPE_NFLOG]: 'Linux netfilter NFLOG',
  [LINKTYPE_IPOIB]: 'IP over InfiniBand',
  [LINKTYPE_PKTAP]: 'Apple PKTAP',
};

/**
 * LINKTYPE_ names from the tcpdump.org registry (link-layer header types), so a link type the
 * decoder does not follow can still be named in Info and in the CLI's note.
 */
const LINKTYPE_REGISTRY: Readonly<Record<number, string>> = {
  0: 'NULL', 1: 'ETHERNET', 3: 'AX25', 6: 'IEEE802_5', 7: 'ARCNET_BSD', 8: 'SLIP', 9: 'PPP', 10: 'FDDI',
  50: 'PPP_HDLC', 51: 'PPP_ETHER', 100: 'ATM_RFC1483', 101: 'RAW', 104: 'C_HDLC', 105: 'IEEE802_11', 107: 'FRELAY',
  108: 'LOOP', 113: 'LINUX_SLL', 114: 'LTALK', 117: 'PFLOG', 119: 'IEEE802_11_PRISM', 122: 'IP_OVER_FC', 123: 'SUNATM',
  127: 'IEEE802_11_RADIOTAP', 129: 'ARCNET_LINUX', 138: 'APPLE_IP_OVER_IEEE1394', 139: 'MTP2_WITH_PHDR', 140: 'MTP2',
  141: 'MTP3', 142: 'SCCP', 143: 'DOCSIS', 144: 'LINUX_IRDA', 147: 'USER0', 148: 'USER1', 149: 'USER2', 150: 'USER3',
  151: 'USER4', 152: 'USER5', 153: 'USER6', 154: 'USER7', 155: 'USER8', 156: 'USER9', 157: 'USER10', 158: 'USER11',
  159: 'USER12', 160: 'USER13', 161: 'USER14', 162: 'USER15', 163: 'IEEE802_11_AVS', 165: 'BACNET_MS_TP', 166: 'PPP_PPPD',
  169: 'GPRS_LLC', 170: 'GPF_T', 171: 'GPF_F', 177: 'LINUX_LAPD', 178: 'JUNIPER_ETHER', 179: 'JUNIPER_PPP', 182: 'MFR',
  187: 'BLUETOOTH_HCI_H4', 189: 'USB_LINUX', 192: 'PPI', 195: 'IEEE802_15_4_WITHFCS', 196: 'SITA', 197: 'ERF',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR', 202: 'AX25_KISS', 203: 'LAPD', 204: 'PPP_WITH_DIR', 205: 'C_HDLC_WITH_DIR',
  206: 'FRELAY_WITH_DIR', 207: 'LAPB_WITH_DIR', 209: 'IPMB_LINUX', 210: 'FLEXRAY', 212: 'LIN', 215: 'IEEE802_15_4_NONASK_PHY',
  220: 'USB_LINUX_MMAPPED', 224: 'FC_2', 225: 'FC_2_WITH_FRAME_DELIMS', 226: 'IPNET', 227: 'CAN_SOCKETCAN', 228: 'IPV4',
  229: 'IPV6', 230: 'IEEE802_15_4_NOFCS', 231: 'DBUS', 235: 'DVB_CI', 236: 'MUX27010', 237: 'STANAG_5066_D_PDU',
  239: 'NFLOG', 240: 'NETANALYZER', 241: 'NETANALYZER_TRANSPARENT', 242: 'IPOIB', 243: 'MPEG_2_TS', 244: 'NG40',
  245: 'NFC_LLCP', 247: 'INFINIBAND', 248: 'SCTP', 249: 'USBPCAP', 250: 'RTAC_SERIAL', 251: 'BLUETOOTH_LE_LL', 253: 'NETLINK',
  254: 'BLUETOOTH_LINUX_MONITOR', 255: 'BLUETOOTH_BREDR_BB', 256: 'BLUETOOTH_LE_LL_WITH_PHDR', 257: 'PROFIBUS_DL',
  258: 'PKTAP', 259: 'EPON', 260: 'IPMI_HPM_2', 261: 'ZWAVE_R1_R2', 262: 'ZWAVE_R3', 263: 'WATTSTOPPER_DLM', 264: 'ISO_14443',
  265: 'RDS', 266: 'USB_DARWIN', 268: 'SDLC', 270: 'LORATAP', 271: 'VSOCK', 272: 'NORDIC_BLE', 273: 'DOCSIS31_XRA31',
  274: 'ETHERNET_MPACKET', 275: 'DISPLAYPORT_AUX', 276: 'LINUX_SLL2', 278: 'OPENVIZSLA', 279: 'EBHSCR', 280: 'VPP_DISPATCH',
  281: 'DSA_TAG_BRCM', 282: 'DSA_TAG_BRCM_PREPEND', 283: 'IEEE802_15_4_TAP', 284: 'DSA_TAG_DSA', 285: 'DSA_TAG_EDSA',
  286: 'ELEE', 287: 'Z_WAVE_SERIAL', 288: 'USB_2_0', 289: 'ATSC_ALP', 290: 'ETW', 292: 'ZBOSS_NCP', 293: 'USB_2_0_LOW_SPEED',
  294: 'USB_2_0_FULL_SPEED', 295: 'USB_2_0_HIGH_SPEED', 296: 'AUERSWALD_LOG', 297: 'ZWAVE_TAP', 298: 'SILABS_DEBUG_CHANNEL',
  299: 'FIRA_UCI', 300: 'MDB', 301: 'DECT_NR',
};

/** `LINKTYPE_USER0`, or `LINKTYPE_147` for a number the registry does not list. */
export function linkTypeRegistryName(linkType: number): string {
  return `LINKTYPE_${LINKTYPE_REGISTRY[linkType] ?? String(linkType)}`;
}

export function isSupportedLinkType(linkType: number): boolean {
  return Object.prototype.hasOwnProperty.call(LINKTYPE_NAMES, linkType);
}

export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `${linkTypeRegistryName(linkType)}, not decoded`;
}

/** EtherTypes the decoder follows. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Older QinQ tag value some switches still emit. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_DISCOVERY = 0x8863;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Transparent Ethernet Bridging: an Ethernet frame follows (GRE, Geneve). */
export const ETHERTYPE_TEB = 0x6558;
export const ETHERTYPE_ERSPAN_II = 0x88be;
export const ETHERTYPE_ERSPAN_III = 0x22eb;
export const ETHERTYPE_PPP = 0x880b;

/** UDP ports of the tunnels the decoder follows (IANA). */
export const UDP_PORT_VXLAN = 4789;
export const UDP_PORT_GENEVE = 6081;

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
export const IPPROTO_GRE = 47;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
