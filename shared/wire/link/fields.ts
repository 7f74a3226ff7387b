/**
 * Registry fields of the link layers read from captures (decode-only: the encoder builds none of
 * them). Names are Wireshark's display-filter names; positions count from the start of the layer.
 * Fields whose position depends on the frame (802.11 addresses by DS bits, TLVs, radiotap's flags)
 * are `derived`: the decoder places them.
 */
import { HEX, derived, header, option, type DecodeOnlyLayerKind, type FieldDef, type LayerDef } from '../field-def';

const LE = { littleEndian: true } as const;

const RADIOTAP_FIELDS: readonly FieldDef[] = [
  header('radiotap', 'radiotap.version', 'Header revision', 0, 8, 'uint'),
  header('radiotap', 'radiotap.pad', 'Header pad', 8, 8, 'uint'),
  header('radiotap', 'radiotap.length', 'Header length', 16, 16, 'uint', LE),
  header('radiotap', 'radiotap.present.word', 'Present flags word', 32, 32, 'uint', { ...HEX, ...LE }),
  derived('radiotap', 'radiotap.flags', 'Flags', 'uint', HEX),
  derived('radiotap', 'radiotap.flags.fcs', 'FCS at end', 'bool'),
];

/** 802.11 MAC header; the addresses' meaning depends on the To DS / From DS bits. */
const WLAN_FIELDS: readonly FieldDef[] = [
  header('wlan', 'wlan.fc', 'Frame Control Field', 0, 16, 'uint', HEX),
  header('wlan', 'wlan.fc.subtype', 'Subtype', 0, 4, 'uint', { parent: 'wlan.fc' }),
  header('wlan', 'wlan.fc.type', 'Type', 4, 2, 'uint', { parent: 'wlan.fc' }),
  header('wlan', 'wlan.fc.version', 'Version', 6, 2, 'uint', { parent: 'wlan.fc' }),
  header('wlan', 'wlan.flags', 'Flags', 8, 8, 'uint', HEX),
  header('wlan', 'wlan.fc.order', '+HTC/Order flag', 8, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.protected', 'Protected flag', 9, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.moredata', 'More Data', 10, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.pwrmgt', 'PWR MGT', 11, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.retry', 'Retry', 12, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.frag', 'More Fragments', 13, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.fromds', 'From DS', 14, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.fc.tods', 'To DS', 15, 1, 'bool', { parent: 'wlan.flags' }),
  header('wlan', 'wlan.duration', 'Duration', 16, 16, 'uint', LE),
  derived('wlan', 'wlan.fc.type_subtype', 'Type/Subtype', 'uint', HEX),
  derived('wlan', 'wlan.ra', 'Receiver address', 'mac'),
  derived('wlan', 'wlan.ta', 'Transmitter address', 'mac'),
  derived('wlan', 'wlan.da', 'Destination address', 'mac'),
  derived('wlan', 'wlan.sa', 'Source address', 'mac'),
  derived('wlan', 'wlan.bssid', 'BSS Id', 'mac'),
  derived('wlan', 'wlan.frag', 'Fragment number', 'uint'),
  derived('wlan', 'wlan.seq', 'Sequence number', 'uint'),
  derived('wlan', 'wlan.qos.tid', 'TID', 'uint'),
  derived('wlan', 'wlan.fcs', 'Frame check sequence', 'uint', { ...HEX, ...LE }),
  derived('wlan', 'wlan.fixed.beacon', 'Beacon Interval', 'uint'),
  derived('wlan', 'wlan.ssid', 'SSID', 'bytes'),
  derived('wlan', 'wlan.ccmp.extiv', 'CCMP/TKIP extended IV', 'bytes', { json: 'omit' }),
];

const LLC_FIELDS: readonly FieldDef[] = [
  header('llc', 'llc.dsap', 'DSAP', 0, 8, 'uint', HEX),
  header('llc', 'llc.ssap', 'SSAP', 8, 8, 'uint', HEX),
  header('llc', 'llc.control', 'Control field', 16, 8, 'uint', HEX),
  header('llc', 'llc.oui', 'Organization Code', 24, 24, 'uint', HEX),
  /** With OUI 00-00-00 the protocol ID is an EtherType, which Wireshark names llc.type. */
  header('llc', 'llc.type', 'Type', 48, 16, 'uint', HEX),
];

/** Address and control are absent when the frame does not start with 0xFF 0x03 (LINKTYPE_PPP allows both). */
const PPP_FIELDS: readonly FieldDef[] = [
  derived('ppp', 'ppp.address', 'Address', 'uint', HEX),
  derived('ppp', 'ppp.control', 'Control', 'uint', HEX),
  derived('ppp', 'ppp.protocol', 'Protocol', 'uint', HEX),
];

const PPPOE_FIELDS: readonly FieldDef[] = [
  header('pppoe', 'pppoe.version', 'Version', 0, 4, 'uint'),
  header('pppoe', 'pppoe.type', 'Type', 4, 4, 'uint'),
  header('pppoe', 'pppoe.code', 'Code', 8, 8, 'uint', HEX),
  header('pppoe', 'pppoe.session_id', 'Session ID', 16, 16, 'uint', HEX),
  header('pppoe', 'pppoe.payload_length', 'Payload Length', 32, 16, 'uint'),
  option('pppoe', 'pppoed.tag', 'Tag', 0, 16, 'uint', { ...HEX, json: 'array' }),
  option('pppoe', 'pppoed.tag_length', 'Tag Length', 16, 16, 'uint', { json: 'array' }),
];

/** TLV lengths and types are in the capturing host's byte order (the decoder tells which). */
const NFLOG_FIELDS: readonly FieldDef[] = [
  header('nflog', 'nflog.family', 'Family', 0, 8, 'uint'),
  header('nflog', 'nflog.version', 'Version', 8, 8, 'uint'),
  header('nflog', 'nflog.res_id', 'Resource id', 16, 16, 'uint'),
  derived('nflog', 'nflog.tlv_length', 'TLV length', 'uint', { json: 'array' }),
  derived('nflog', 'nflog.tlv_type', 'TLV type', 'uint', { json: 'array' }),
  option('nflog', 'nflog.protocol', 'HW protocol', 32, 16, 'uint', HEX),
  option('nflog', 'nflog.hook', 'Netfilter hook', 48, 8, 'uint'),
  derived('nflog', 'nflog.prefix', 'Prefix', 'string'),
  derived('nflog', 'nflog.uid', 'UID', 'uint'),
  derived('nflog', 'nflog.gid', 'GID', 'uint'),
];

/** Apple's struct pktap_header, little-endian (the byte order of every Mac that writes it). */
const PKTAP_FIELDS: readonly FieldDef[] = [
  header('pktap', 'pktap.hdrlen', 'Header length', 0, 32, 'uint', LE),
  header('pktap', 'pktap.rectype', 'Record type', 32, 32, 'uint', LE),
  header('pktap', 'pktap.dlt', 'DLT', 64, 32, 'uint', LE),
  derived('pktap', 'pktap.ifname', 'Interface name', 'string'),
  header('pktap', 'pktap.flags', 'Flags', 288, 32, 'uint', { ...HEX, ...LE }),
  header('pktap', 'pktap.pfamily', 'Protocol family', 320, 32, 'uint', LE),
  header('pktap', 'pktap.llhdrlen', 'Link-layer header length', 352, 32, 'uint', LE),
  header('pktap', 'pktap.lltrlrlen', 'Link-layer trailer length', 384, 32, 'uint', LE),
  header('pktap', 'pktap.pid', 'Process ID', 416, 32, 'uint', LE),
  derived('pktap', 'pktap.cmdname', 'Command name', 'string'),
  header('pktap', 'pktap.svc_class', 'Service class', 608, 32, 'uint', LE),
  header('pktap', 'pktap.iftype', 'Interface type', 640, 16, 'uint', LE),
  header('pktap', 'pktap.ifunit', 'Interface unit', 656, 16, 'uint', LE),
  header('pktap', 'pktap.epid', 'Effective process ID', 672, 32, 'uint', LE),
  derived('pktap', 'pktap.ecmdname', 'Effective command name', 'string'),
];

const CHDLC_FIELDS: readonly FieldDef[] = [
  header('chdlc', 'chdlc.address', 'Address', 0, 8, 'uint', HEX),
  header('chdlc', 'chdlc.control', 'Control', 8, 8, 'uint', HEX),
  header('chdlc', 'chdlc.protocol', 'Protocol', 16, 16, 'uint', HEX),
];

/** LINKTYPE_IPOIB: a 40-byte global route header or destination address, then RFC 4391's 4-byte header. */
const IPOIB_FIELDS: readonly FieldDef[] = [
  header('ipoib', 'ipoib.type', 'Type', 320, 16, 'uint', HEX),
  header('ipoib', 'ipoib.reserved', 'Reserved', 336, 16, 'uint', HEX),
];

/** Juniper's capture header: "MGC", a flags byte, then (with the extension flag) TLVs. */
const JUNIPER_FIELDS: readonly FieldDef[] = [
  header('juniper', 'juniper.magic-number', 'Magic Number', 0, 24, 'uint', HEX),
  derived('juniper', 'juniper.direction', 'Direction', 'uint', HEX),
  derived('juniper', 'juniper.l2hdr', 'L2 header presence', 'uint', HEX),
  derived('juniper', 'juniper.ext_total_len', 'Extension(s) Total length', 'uint'),
];

export const LINK_LAYER_DEFS: Readonly<Record<Extract<DecodeOnlyLayerKind, 'radiotap' | 'wlan' | 'llc' | 'ppp' | 'pppoe' | 'nflog' | 'pktap' | 'chdlc' | 'ipoib' | 'juniper'>, LayerDef>> = {
  radiotap: { kind: 'radiotap', protocol: 'radiotap', label: 'Radiotap Header', headerLength: 8, fields: RADIOTAP_FIELDS },
  wlan: { kind: 'wlan', protocol: 'wlan', label: 'IEEE 802.11', headerLength: 24, fields: WLAN_FIELDS },
  llc: { kind: 'llc', protocol: 'llc', label: 'Logical-Link Control', headerLength: 8, fields: LLC_FIELDS },
  ppp: { kind: 'ppp', protocol: 'ppp', label: 'Point-to-Point Protocol', headerLength: 2, fields: PPP_FIELDS },
  pppoe: { kind: 'pppoe', protocol: 'pppoes', label: 'PPP-over-Ethernet', headerLength: 6, fields: PPPOE_FIELDS },
  nflog: { kind: 'nflog', protocol: 'nflog', label: 'Linux Netfilter NFLOG', headerLength: 4, fields: NFLOG_FIELDS },
  pktap: { kind: 'pktap', protocol: 'pktap', label: 'PKTAP', headerLength: 108, fields: PKTAP_FIELDS },
  chdlc: { kind: 'chdlc', protocol: 'chdlc', label: 'Cisco HDLC', headerLength: 4, fields: CHDLC_FIELDS },
  ipoib: { kind: 'ipoib', protocol: 'ipoib', label: 'IP over InfiniBand', headerLength: 44, fields: IPOIB_FIELDS },
  juniper: { kind: 'juniper', protocol: 'juniper', label: 'Juniper Ethernet', headerLength: 4, fields: JUNIPER_FIELDS },
};
