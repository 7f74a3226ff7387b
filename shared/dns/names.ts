/** DNS numbers by the names Wireshark prints for them (RR types, classes, opcodes, rcodes, SvcParamKeys). */

export const DNS_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  39: 'DNAME',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  50: 'NSEC3',
  52: 'TLSA',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  255: 'ANY',
  257: 'CAA',
};

export function dnsTypeName(type: number): string {
  return DNS_TYPE_NAMES[type] ?? `Unknown (${type})`;
}

export function dnsClassName(klass: number): string {
  switch (klass) {
    case 1:
      return 'IN';
    case 3:
      return 'CH';
    case 4:
      return 'HS';
    case 254:
      return 'NONE';
    case 255:
      return 'ANY';
    default:
      return `0x${klass.toString(16).padStart(4, '0')}`;
  }
}

const OPCODES: Readonly<Record<number, string>> = { 0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update' };

export function dnsOpcodeName(opcode: number): string {
  return OPCODES[opcode] ?? `Unknown operation (${opcode})`;
}

const RCODES: Readonly<Record<number, string>> = {
  0: 'No error',
  1: 'Format error',
  2: 'Server failure',
  3: 'No such name',
  4: 'Not implemented',
  5: 'Refused',
  6: 'Name exists',
  7: 'RRset exists',
  8: 'RRset does not exist',
  9: 'Not authoritative',
  10: 'Name out of zone',
};

export function dnsRcodeName(rcode: number): string {
  return RCODES[rcode] ?? `Unknown error (${rcode})`;
}

/** RFC 9460 §14.3.2 SvcParamKeys. */
const SVC_PARAM_KEYS: Readonly<Record<number, string>> = { 0: 'mandatory', 1: 'alpn', 2: 'no-default-alpn', 3: 'port', 4: 'ipv4hint', 5: 'ech', 6: 'ipv6hint', 7: 'dohpath', 8: 'ohttp' };

export function svcParamKeyName(key: number): string {
  return SVC_PARAM_KEYS[key] ?? `key${key}`;
}
