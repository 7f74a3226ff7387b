import { describe, expect, it } from 'vitest';
import { KernelRstWatch, probeOf, replyKind } from '../../../electron/engine/probe';
import { hasScapy, scapyMany } from '../../integration/capture/support';

// Every frame here is built by Scapy: the matcher is judged against frames it did not make.
const ETH = 1;
const A = '198.18.0.1';
const B = '198.18.0.2';
const ETHER = "Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/";
// Every expression in this file, built in one Scapy run up front.
const EXPRESSIONS: string[] = [
  `IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='S',seq=1000)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1001)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='RA',seq=0,ack=1001)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1000)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=81,dport=40000,flags='SA',seq=777,ack=1001)`,
  `IP(src='198.18.0.9',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1001)`,
  `IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='FPA',seq=5000,ack=9000)/Raw(b'hello')`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='A',seq=9000,ack=5006)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='A',seq=9000,ack=5005)`,
  `IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='R',seq=9000)`,
  `IP(src='${A}',dst='${B}')/UDP(sport=5000,dport=9)/Raw(b'x')`,
  `IP(src='${B}',dst='${A}')/ICMP(type=3,code=3)/IP(src='${A}',dst='${B}')/UDP(sport=5000,dport=9)/Raw(b'x')`,
  `IP(src='${B}',dst='${A}')/ICMP(type=3,code=3)/IP(src='${A}',dst='${B}')/UDP(sport=5000,dport=10)/Raw(b'x')`,
  `IPv6(src='2001:db8::1',dst='2001:db8::2')/TCP(sport=40000,dport=443,flags='S',seq=42)`,
  `IPv6(src='2001:db8::2',dst='2001:db8::1')/TCP(sport=443,dport=40000,flags='SA',seq=1,ack=43)`,
  `IPv6(src='2001:db8::3',dst='2001:db8::1')/TCP(sport=443,dport=40000,flags='SA',seq=1,ack=43)`,
  `IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='R',seq=1001)`,
];
const built = new Map<string, Uint8Array>();
if (hasScapy) scapyMany(EXPRESSIONS.map((expression) => ETHER + expression)).forEach((bytes, index) => built.set(EXPRESSIONS[index], bytes));
const frame = (expression: string): Uint8Array => {
  const bytes = built.get(expression);
  if (!bytes) throw new Error(`not prebuilt: ${expression}`);
  return bytes;
};

describe.skipIf(!hasScapy)('sr1-style reply matching', () => {
  const syn = frame(`IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='S',seq=1000)`);
  const probe = probeOf(syn, ETH)!;

  it('reads the probe from a crafted frame', () => {
    expect(probe).toMatchObject({ ipVersion: 4, protocol: 6, srcPort: 40000, dstPort: 80, seq: 1000, tcpFlags: 0x002, payloadLength: 0 });
  });

  it('accepts the SYN+ACK that acknowledges ISN+1, and the RST+ACK of a closed port', () => {
    expect(replyKind(probe, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1001)`), ETH)).toBe('reply');
    expect(replyKind(probe, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='RA',seq=0,ack=1001)`), ETH)).toBe('reply');
  });

  it('rejects segments of other connections or with the wrong acknowledgment', () => {
    expect(replyKind(probe, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1000)`), ETH)).toBeNull();
    expect(replyKind(probe, frame(`IP(src='${B}',dst='${A}')/TCP(sport=81,dport=40000,flags='SA',seq=777,ack=1001)`), ETH)).toBeNull();
    expect(replyKind(probe, frame(`IP(src='198.18.0.9',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1001)`), ETH)).toBeNull();
    // Our own SYN seen again on the wire is not a reply to itself.
    expect(replyKind(probe, syn, ETH)).toBeNull();
  });

  it('acknowledgment counts payload and FIN: data of 5 bytes with FIN is answered by ack = seq + 6', () => {
    const finWithData = probeOf(frame(`IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='FPA',seq=5000,ack=9000)/Raw(b'hello')`), ETH)!;
    expect(replyKind(finWithData, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='A',seq=9000,ack=5006)`), ETH)).toBe('reply');
    expect(replyKind(finWithData, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='A',seq=9000,ack=5005)`), ETH)).toBeNull();
    // An RST without ACK answers when its seq is the probe's ack (RFC 9293 §3.10.7.1).
    expect(replyKind(finWithData, frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='R',seq=9000)`), ETH)).toBe('reply');
  });

  it('matches an ICMP error only when it quotes the probe', () => {
    const udp = probeOf(frame(`IP(src='${A}',dst='${B}')/UDP(sport=5000,dport=9)/Raw(b'x')`), ETH)!;
    const quoting = (dport: number) => frame(`IP(src='${B}',dst='${A}')/ICMP(type=3,code=3)/IP(src='${A}',dst='${B}')/UDP(sport=5000,dport=${dport})/Raw(b'x')`);
    expect(replyKind(udp, quoting(9), ETH)).toBe('icmp-error');
    expect(replyKind(udp, quoting(10), ETH)).toBeNull();
  });

  it('works for IPv6', () => {
    const syn6 = probeOf(frame(`IPv6(src='2001:db8::1',dst='2001:db8::2')/TCP(sport=40000,dport=443,flags='S',seq=42)`), ETH)!;
    expect(replyKind(syn6, frame(`IPv6(src='2001:db8::2',dst='2001:db8::1')/TCP(sport=443,dport=40000,flags='SA',seq=1,ack=43)`), ETH)).toBe('reply');
    expect(replyKind(syn6, frame(`IPv6(src='2001:db8::3',dst='2001:db8::1')/TCP(sport=443,dport=40000,flags='SA',seq=1,ack=43)`), ETH)).toBeNull();
  });
});

describe.skipIf(!hasScapy)('the local-kernel RST trap', () => {
  const syn = frame(`IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='S',seq=1000)`);
  const synAck = frame(`IP(src='${B}',dst='${A}')/TCP(sport=80,dport=40000,flags='SA',seq=777,ack=1001)`);
  // What Linux sends for a SYN+ACK no socket expects: RST with seq = the SYN+ACK's ack.
  const kernelRst = frame(`IP(src='${A}',dst='${B}')/TCP(sport=40000,dport=80,flags='R',seq=1001)`);

  it('is recognised after a SYN+ACK answering the crafted SYN', () => {
    const watch = new KernelRstWatch(probeOf(syn, ETH)!, () => false);
    expect(watch.observe(syn, ETH)).toBe(false);
    expect(watch.observe(synAck, ETH)).toBe(false);
    expect(watch.synAck).toEqual({ seq: 777, ack: 1001 });
    expect(watch.observe(kernelRst, ETH)).toBe(true);
    expect(watch.kernelRst).toBe(true);
  });

  it('is not claimed without the SYN+ACK, nor for an RST the user sent', () => {
    const early = new KernelRstWatch(probeOf(syn, ETH)!, () => false);
    expect(early.observe(kernelRst, ETH)).toBe(false);
    const own = new KernelRstWatch(probeOf(syn, ETH)!, (bytes) => bytes.length === kernelRst.length && bytes.every((byte, index) => byte === kernelRst[index]));
    own.observe(synAck, ETH);
    expect(own.observe(kernelRst, ETH)).toBe(false);
  });

  it('only applies to a bare SYN', () => {
    expect(KernelRstWatch.applies(probeOf(syn, ETH))).toBe(true);
    expect(KernelRstWatch.applies(probeOf(synAck, ETH))).toBe(false);
    expect(KernelRstWatch.applies(null)).toBe(false);
  });
});
