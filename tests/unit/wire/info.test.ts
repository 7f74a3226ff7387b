/**
 * The Protocol and Info columns against tshark's own (`_ws.col.Protocol`, `_ws.col.Info`) on the
 * Scapy corpus, with raw sequence numbers and no TCP analysis (tracking adds those later).
 * Frames whose payload tshark hands to an application dissector (HTTP, DNS, TLS…) have a
 * different Info by design and are skipped by protocol; TCP reassembly notes are ignored.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../shared/wire/decode';
import { frameColumns, tcpFlagsText } from '../../../shared/wire/info';
import { loadCorpus, runPython, runTshark, scapyAvailable, tempDir, tsharkAvailable } from './oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const OUR_PROTOCOLS = new Set(['TCP', 'UDP', 'ICMP', 'ICMPv6', 'IPv4', 'IPv6']);

describe('TCP flags text', () => {
  it('names flags in Wireshark’s order', () => {
    expect(tcpFlagsText(0x002)).toBe('SYN');
    expect(tcpFlagsText(0x012)).toBe('SYN, ACK');
    expect(tcpFlagsText(0x011)).toBe('FIN, ACK');
    expect(tcpFlagsText(0x014)).toBe('RST, ACK');
    expect(tcpFlagsText(0x018)).toBe('PSH, ACK');
    expect(tcpFlagsText(0)).toBe('<None>');
  });
});

describe.skipIf(!ready)('Info column agrees with tshark', () => {
  it('for every corpus frame tshark leaves to TCP/UDP/ICMP/IP', () => {
    const directory = tempDir('wire-info-');
    const corpus = loadCorpus(directory);
    let compared = 0;
    for (const linkType of new Set(corpus.map((entry) => entry.linkType))) {
      const entries = corpus.filter((entry) => entry.linkType === linkType);
      const rows = runTshark([
        '-r', path.join(directory, `linktype-${linkType}.pcap`),
        '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info',
        '-o', 'tcp.relative_sequence_numbers:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE',
      ])
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => line.split('\t'));
      entries.forEach((entry, index) => {
        const [protocol, info] = rows[index];
        if (!OUR_PROTOCOLS.has(protocol)) return;
        if ((protocol === 'TCP' || protocol === 'UDP') && !info.includes(' → ')) return; // payload summarised by an application dissector
        const ours = frameColumns(decodeFrame(entry.bytes, entry.linkType));
        expect(ours.protocol, entry.name).toBe(protocol);
        expect(ours.info, entry.name).toBe(info.replace(/ \[TCP segment of a reassembled PDU\]$/, ''));
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('names every ICMPv6 message type tshark names (MLD reports, ND, mobility, RPL …)', () => {
    // A Linux host sends MLDv2 reports (type 143) on every interface it brings up: they are in most captures.
    const file = path.join(tempDir('wire-icmpv6-'), 'icmpv6.pcap');
    const types = [130, 131, 132, ...Array.from({ length: 24 }, (_, i) => 138 + i)];
    runPython(
      [
        'import sys',
        'from scapy.all import Ether, IPv6, ICMPv6Unknown, wrpcap',
        `wrpcap(sys.argv[1], [Ether()/IPv6(src='fe80::1', dst='ff02::16', hlim=1)/ICMPv6Unknown(type=t, code=0, msgbody=bytes(20)) for t in ${JSON.stringify(types)}])`,
      ].join('\n'),
      [file],
    );
    const rows = runTshark(['-r', file, '-T', 'fields', '-e', 'icmpv6.type', '-e', '_ws.col.Info'])
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
    expect(rows.map(([type]) => Number(type))).toEqual(types);
    const frames = runPython(['import sys', 'from scapy.all import rdpcap', 'print("\\n".join(bytes(p).hex() for p in rdpcap(sys.argv[1])))'].join('\n'), [file])
      .trim()
      .split('\n');
    rows.forEach(([type, info], index) => {
      // The name is ours to match; tshark's parenthesised detail (a command, subject or code
      // from the body) and its verdict on these zero-filled bodies are not.
      const name = info.replace(/\[Malformed Packet\]$/, '').replace(/ \(.*\)$/, '');
      expect(frameColumns(decodeFrame(Buffer.from(frames[index], 'hex'), 1)).info, `type ${type}`).toBe(name);
    });
  });

  it('prints relative numbers when tracking supplies them, and flags malformed frames', () => {
    const entry = loadCorpus().find((candidate) => candidate.name === 'eth-ipv4-synack');
    if (!entry) throw new Error('corpus lacks the SYN-ACK');
    const info = frameColumns(decodeFrame(entry.bytes, 1), { relativeSeq: 0, relativeAck: 1 }).info;
    expect(info).toBe('443 → 51234 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=123456789 TSecr=0 WS=128');
    expect(frameColumns(decodeFrame(entry.bytes.slice(0, 40), 1)).info).toContain('[Malformed Packet');
  });
});
