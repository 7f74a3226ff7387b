import { describe, expect, it } from 'vitest';
import { compileFilter, parseFilter, type FieldSource, type FieldValue } from '../../../shared/filter';

/** A frame as a plain table of Wireshark field names, the way tshark -T ek would print it. */
function frame(fields: Record<string, FieldValue | FieldValue[]>): FieldSource {
  return (name) => fields[name];
}

const synToServer = frame({
  'ip.src': '198.18.0.1',
  'ip.dst': '198.18.0.2',
  'tcp.srcport': 40000,
  'tcp.dstport': 443,
  'tcp.flags.syn': true,
  'tcp.flags.ack': false,
  'tcp.flags': 0x002,
  'frame.len': 74,
});
const synAckFromServer = frame({
  'ip.src': '198.18.0.2',
  'ip.dst': '198.18.0.1',
  'tcp.srcport': 443,
  'tcp.dstport': 40000,
  'tcp.flags.syn': true,
  'tcp.flags.ack': true,
  'tcp.flags': 0x012,
  'frame.len': 74,
});
const retransmittedData = frame({
  'ip.src': '198.18.0.1',
  'ip.dst': '198.18.0.2',
  'tcp.srcport': 40000,
  'tcp.dstport': 443,
  'tcp.flags.syn': false,
  'tcp.flags.ack': true,
  'tcp.analysis.retransmission': true,
  'tls.handshake.extensions_server_name': 'www.example.com',
  'tls.handshake.type': [1],
  'frame.len': 583,
});
const udpDns = frame({ 'ip.src': '198.18.0.9', 'ip.dst': '198.18.0.53', 'udp.srcport': 5353, 'udp.dstport': 53 });

function matches(expression: string, source: FieldSource): boolean {
  const compiled = compileFilter(expression);
  if (!compiled.ok) throw new Error(`${expression}: ${compiled.error.message}`);
  return compiled.filter.test(source);
}

describe('display filter: the examples users type', () => {
  it('SYN toward or from an address, in either direction (ip.addr alias)', () => {
    const expression = 'tcp.flags.syn == 1 && ip.addr == 198.18.0.2';
    expect(matches(expression, synToServer)).toBe(true);
    expect(matches(expression, synAckFromServer)).toBe(true);
    expect(matches(expression, retransmittedData)).toBe(false);
  });

  it('a bare analysis flag tests presence', () => {
    expect(matches('tcp.analysis.retransmission', retransmittedData)).toBe(true);
    expect(matches('tcp.analysis.retransmission', synToServer)).toBe(false);
  });

  it('contains on the TLS server name', () => {
    expect(matches('tls.handshake.extensions_server_name contains "example"', retransmittedData)).toBe(true);
    expect(matches('tls.handshake.extensions_server_name contains "examples"', retransmittedData)).toBe(false);
    expect(matches('tls.handshake.extensions_server_name contains "example"', synToServer)).toBe(false);
  });

  it('SYN without ACK separates the first handshake segment from the second', () => {
    expect(matches('tcp.flags.syn == 1 and not tcp.flags.ack == 1', synToServer)).toBe(true);
    expect(matches('tcp.flags.syn == 1 and not tcp.flags.ack == 1', synAckFromServer)).toBe(false);
    expect(matches('tcp.flags == 0x012', synAckFromServer)).toBe(true);
  });

  it('tcp.port and udp.port match either port', () => {
    expect(matches('tcp.port == 443', synToServer)).toBe(true);
    expect(matches('tcp.port == 443', synAckFromServer)).toBe(true);
    expect(matches('tcp.port == 443', udpDns)).toBe(false);
    expect(matches('udp.port == 53 || tcp.port == 80', udpDns)).toBe(true);
  });

  it('!= means no occurrence equals (Wireshark 4 semantics), and is false on an absent field', () => {
    // ip.addr != 198.18.0.2 excludes both directions of the conversation.
    expect(matches('ip.addr != 198.18.0.2', synToServer)).toBe(false);
    expect(matches('ip.addr != 198.18.0.77', synToServer)).toBe(true);
    expect(matches('tcp.port != 443', udpDns)).toBe(false);
    // `!(x == v)` on the other hand is true when the field is absent.
    expect(matches('!(tcp.port == 443)', udpDns)).toBe(true);
  });

  it('ordering comparisons, word operators and parentheses', () => {
    expect(matches('frame.len > 500', retransmittedData)).toBe(true);
    expect(matches('frame.len gt 500', synToServer)).toBe(false);
    expect(matches('frame.len <= 74 && (tcp.dstport == 443 or tcp.srcport == 443)', synAckFromServer)).toBe(true);
    expect(matches('(frame.len ge 74) and !(tcp.flags.ack == 1)', synToServer)).toBe(true);
  });

  it('IPv4 prefixes: 198.18.0.0/15 contains 198.19.255.255 but not 198.20.0.0', () => {
    expect(matches('ip.addr == 198.18.0.0/15', frame({ 'ip.src': '198.19.255.255' }))).toBe(true);
    expect(matches('ip.addr == 198.18.0.0/15', frame({ 'ip.src': '198.20.0.0' }))).toBe(false);
    expect(matches('ip.src == 10.0.0.0/8', synToServer)).toBe(false);
  });

  it('matches is a case-insensitive regular expression, as in Wireshark', () => {
    expect(matches('tls.handshake.extensions_server_name matches "^WWW\\\\."', retransmittedData)).toBe(true);
    expect(matches('tls.handshake.extensions_server_name matches "^api"', retransmittedData)).toBe(false);
  });

  it('array fields match when any element matches', () => {
    expect(matches('tls.handshake.type == 1', retransmittedData)).toBe(true);
    expect(matches('tls.handshake.type == 2', retransmittedData)).toBe(false);
  });

  it('addresses are compared in canonical form: IPv6 per RFC 5952, MACs with colons in lower case', () => {
    const v6 = frame({ 'ipv6.src': '2001:db8::1', 'eth.src': '02:00:00:0a:bb:01' });
    expect(matches('ipv6.addr == 2001:DB8:0:0:0:0:0:1', v6)).toBe(true);
    expect(matches('ipv6.addr == 2001:db8::0:1', v6)).toBe(true);
    expect(matches('ipv6.addr == 2001:db8::2', v6)).toBe(false);
    expect(matches('eth.addr == 02-00-00-0A-BB-01', v6)).toBe(true);
  });

  it('a blank filter passes everything', () => {
    expect(matches('   ', udpDns)).toBe(true);
  });

  it('=== (all_eq) wants every occurrence equal, !== (any_ne) one that differs; ~ is matches', () => {
    const toSelf = frame({ 'ip.src': '198.18.0.1', 'ip.dst': '198.18.0.1' });
    expect(matches('ip.addr === 198.18.0.1', toSelf)).toBe(true);
    expect(matches('ip.addr === 198.18.0.1', synToServer)).toBe(false);
    expect(matches('ip.addr all_eq 198.18.0.1', toSelf)).toBe(true);
    expect(matches('ip.addr !== 198.18.0.1', synToServer)).toBe(true);
    expect(matches('ip.addr any_ne 198.18.0.1', toSelf)).toBe(false);
    expect(matches('tcp.port !== 443', udpDns)).toBe(false); // absent: no comparison holds
    expect(matches('tls.handshake.extensions_server_name ~ "^www\\."', retransmittedData)).toBe(true);
  });

  it('set membership: values, ranges, addresses and text, commas (Wireshark 4) or spaces (3.x) between them', () => {
    expect(matches('tcp.port in {80, 443, 8443}', synToServer)).toBe(true);
    expect(matches('tcp.port in {80 8080}', synToServer)).toBe(false);
    expect(matches('tcp.srcport in {1..1023}', synAckFromServer)).toBe(true);
    expect(matches('tcp.srcport in {1 .. 1023}', synToServer)).toBe(false);
    expect(matches('tcp.dstport in {22, 400..500}', synToServer)).toBe(true);
    expect(matches('ip.dst in {198.18.0.1..198.18.0.9}', synToServer)).toBe(true);
    expect(matches('ip.dst in {198.18.0.3..198.18.0.9}', synToServer)).toBe(false);
    expect(matches('tls.handshake.extensions_server_name in {"a.test", "www.example.com"}', retransmittedData)).toBe(true);
    // Absent fields are in no set; `not` then holds.
    expect(matches('tcp.port in {53}', udpDns)).toBe(false);
    expect(matches('not tcp.port in {53}', udpDns)).toBe(true);
  });

  it('bit masks: FIELD & MASK alone tests for any bit, and compares the masked value with an operator', () => {
    expect(matches('tcp.flags & 0x12', synToServer)).toBe(true);
    expect(matches('tcp.flags & 0x10', synToServer)).toBe(false);
    expect(matches('tcp.flags & 0x12 == 0x12', synAckFromServer)).toBe(true);
    expect(matches('tcp.flags & 0x12 == 0x12', synToServer)).toBe(false);
    expect(matches('tcp.flags & 0x10 != 0', synAckFromServer)).toBe(true);
    expect(matches('tcp.flags & 0x12 && tcp.port == 443', synToServer)).toBe(true);
    // Values past 32 bits keep their high bits.
    expect(matches('frame.number & 0x100000000', frame({ 'frame.number': 2 ** 32 + 1 }))).toBe(true);
    expect(matches('frame.number & 0x1 == 1', frame({ 'frame.number': 2 ** 32 + 1 }))).toBe(true);
  });

  it('tcp.analysis.flags: any analysis flag, the usual "TCP problems" filter', () => {
    expect(matches('tcp.analysis.flags', frame({ 'tcp.analysis.flags': true, 'tcp.analysis.window_update': true }))).toBe(true);
    expect(matches('tcp.analysis.flags && !tcp.analysis.window_update', frame({ 'tcp.analysis.flags': true, 'tcp.analysis.window_update': true }))).toBe(false);
    expect(matches('tcp.analysis.flags', synToServer)).toBe(false);
  });

  it('byte fields: contains and == take a byte string or quoted text', () => {
    const get = frame({ frame: '02:00:47:45:54:20:2f', 'tcp.payload': '47:45:54:20:2f' });
    expect(matches('frame contains 47:45:54', get)).toBe(true);
    expect(matches('frame contains 47-45-54', get)).toBe(true);
    expect(matches('frame contains "GET /"', get)).toBe(true);
    expect(matches('tcp.payload contains "get"', get)).toBe(false); // bytes, so case counts
    expect(matches('tcp.payload == 47:45:54:20:2f', get)).toBe(true);
    expect(matches('tcp.payload contains 2f', get)).toBe(true);
    expect(matches('frame contains 00:47', get)).toBe(true);
    expect(matches('frame contains 04:75', get)).toBe(false);
    expect(matches('tcp.payload contains 47', udpDns)).toBe(false);
  });
});

describe('display filter: errors say where and why', () => {
  function errorOf(expression: string, isField?: (name: string) => boolean) {
    const result = parseFilter(expression, { isField });
    if (result.ok) throw new Error(`expected ${expression} to be rejected`);
    return result.error;
  }

  it('a single = points at the operator', () => {
    const error = errorOf('tcp.port = 80');
    expect(error.position).toBe(9);
    expect(error.message).toMatch(/'=='/);
  });

  it('a missing value after an operator points at the end', () => {
    const error = errorOf('tcp.port == ');
    expect(error.position).toBe(12);
    expect(error.message).toMatch(/expected a value after '=='/);
  });

  it('unbalanced parentheses name the opening one', () => {
    const error = errorOf('(tcp.port == 80 && ip.ttl > 3');
    expect(error.position).toBe(0);
    expect(error.message).toMatch(/never closed/);
    expect(errorOf('tcp.port == 80)').message).toMatch(/unmatched '\)'/);
  });

  it('unknown fields are named when a registry is given', () => {
    const known = new Set(['tcp.flags.syn', 'tcp.port']);
    const error = errorOf('tcp.port == 1 && tcp.flgs.syn == 1', (name) => known.has(name));
    expect(error.position).toBe(17);
    expect(error.length).toBe('tcp.flgs.syn'.length);
    expect(error.message).toMatch(/tcp\.flgs\.syn/);
  });

  it('an unterminated string, a lone & and a bad regular expression', () => {
    expect(errorOf('http.host contains "abc').message).toMatch(/unterminated/);
    expect(errorOf('tcp.port == 1 & tcp.port == 2').message).toMatch(/'&&'/);
    expect(errorOf('dns.qry.name matches "("').message).toMatch(/regular expression/);
  });

  it('sets and masks say what is missing', () => {
    expect(errorOf('tcp.port in 80').message).toMatch(/'\{'/);
    expect(errorOf('tcp.port in {80, 443').message).toMatch(/never closed/);
    expect(errorOf('tcp.port in {}').message).toMatch(/empty set/);
    expect(errorOf('tcp.port in {80..}').message).toMatch(/after '\.\.'/);
    expect(errorOf('tcp.flags & syn').message).toMatch(/bit mask/);
    expect(errorOf('tcp.flags &').message).toMatch(/bit mask/);
  });

  it('two expressions without an operator between them', () => {
    const error = errorOf('tcp.port == 80 ip.ttl == 3');
    expect(error.position).toBe(15);
  });
});
