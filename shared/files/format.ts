/** Magic numbers, block types and option codes of pcap and pcapng, shared by the reader and the writers. */

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const PcapngBlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 0x00000001,
  ObsoletePacket: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  DecryptionSecrets: 0x0000000a,
} as const;

/** Decryption Secrets Block secrets types (pcapng §4.7). */
export const SecretsType = {
  /** NSS key-log text ('TLSK'). */
  TlsKeyLog: 0x544c534b,
} as const;

export const PcapngOption = {
  EndOfOptions: 0,
  Comment: 1,
  // SHB
  ShbHardware: 2,
  ShbOs: 3,
  ShbUserApplication: 4,
  // IDB
  IfName: 2,
  IfDescription: 3,
  IfTsResolution: 9,
  IfFilter: 11,
  IfOs: 12,
  IfFcsLength: 13,
  IfTsOffset: 14,
  IfHardware: 15,
  // EPB / OPB
  PacketFlags: 2,
  // ISB
  IsbIfReceived: 4,
  IsbIfDropped: 5,
  IsbFilterAccepted: 6,
  IsbOsDropped: 7,
  IsbUserDelivered: 8,
} as const;
