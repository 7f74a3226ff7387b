/**
 * Headers-only captures: a snap length (tcpdump -s 54 … 96, the classic way to capture TCP
 * behaviour without payloads) cuts every data segment and often the TCP options too. The
 * segment's length still comes from the IP header, so decoding and tracking must give what they
 * give on the whole capture: no malformed frames, the same Len, the same analysis, and what
 * tshark says on the same file.
 */
import { describe, expect, it } from 'vitest';
import type { TcpOptionSpec } from '../../../shared/craft';
import { buildDetailTree } from '../../../shared/api';
import { decodeFrame, frameFieldsJson } from '../../../shared/wire';
import { frameColumns } from '../../../shared/wire/info';
import { analysisFlags, compareWithTshark, Conversation, HAS_TSHARK, tempFile, trackFile, tshark, writeCapture } from './scenario';

const TIMESTAMP: TcpOptionSpec = { kind: 'timestamp', tsval: 1000, tsecr: 2000 };
/** Linux's SYN options: 20 bytes, so the header is 40. */
const SYN_OPTIONS: TcpOptionSpec[] = [{ kind: 'mss', value: 1460 }, { kind: 'sack_perm' }, TIMESTAMP, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
/** Every later segment carries timestamps: a 32-byte header. */
const SEGMENT_OPTIONS: TcpOptionSpec[] = [{ kind: 'nop' }, { kind: 'nop' }, TIMESTAMP];

function conversation(v6: boolean) {
  const client = { address: v6 ? '2001:db8::1' : '198.18.0.1', port: 40952, isn: 0xfffff000 }; // wraps during the data
  const server = { address: v6 ? '2001:db8::2' : '198.18.0.2', port: 443, isn: 7 };
  const c = new Conversation(client, server);
  const o = { options: SEGMENT_OPTIONS };
  c.send('c', 'S', { options: SYN_OPTIONS }).send('s', 'SA', { options: SYN_OPTIONS }).send('c', 'A', o);
  const start = c.nextSeq('c');
  c.send('c', 'PA', { ...o, payload: new Uint8Array(1448) });
  c.send('c', 'PA', { ...o, payload: new Uint8Array(1448), seq: start + 2896 }); // start + 1448 lost before the tap
  c.send('s', 'A', { ...o, ack: start + 1448 });
  c.send('s', 'A', { ...o, ack: start + 1448, dt: 0.002 }); // duplicate ACK #1
  c.send('s', 'A', { ...o, ack: start + 1448, dt: 0.002 }); // #2
  c.send('c', 'PA', { ...o, payload: new Uint8Array(1448), seq: start + 1448, dt: 0.003 }); // fast retransmission
  c.send('s', 'A', { ...o, ack: start + 4344 });
  c.send('s', 'PA', { ...o, payload: new Uint8Array(700) });
  c.send('c', 'A', { ...o, window: 0 }); // zero window
  c.send('c', 'A', { ...o, dt: 0.05 }); // window update
  c.send('c', 'FA', o).send('s', 'FA', o).send('c', 'A', o);
  return c.frames;
}

describe('headers-only captures (snap length)', () => {
  for (const v6 of [false, true]) {
    const base = v6 ? 74 : 54; // Ethernet + IP + the 20-byte TCP header
    it(`IPv${v6 ? 6 : 4}: cut at ${base}, ${base + 6}, ${base + 14} and ${base + 42} bytes, tracks as the whole capture does`, () => {
      const frames = conversation(v6);
      const whole = trackFile(writeCapture(frames, tempFile(`snap-whole-v${v6 ? 6 : 4}.pcap`), 'pcap'));
      const wholeFlags = whole.keys.map(analysisFlags);
      // The scenario has something to get right.
      expect(wholeFlags.flat()).toEqual(expect.arrayContaining(['lost_segment', 'duplicate_ack', 'fast_retransmission', 'zero_window', 'window_update']));

      for (const snaplen of [base, base + 6, base + 14, base + 42]) {
        const file = writeCapture(frames, tempFile(`snap-${snaplen}-v${v6 ? 6 : 4}.pcap`), 'pcap', snaplen);
        const cut = trackFile(file);
        expect([snaplen, cut.keys.map(analysisFlags)]).toEqual([snaplen, wholeFlags]);
        expect([snaplen, cut.json[0].history, cut.json[0].conn_state]).toEqual([snaplen, whole.json[0].history, whole.json[0].conn_state]);
        expect(cut.json[0].counts).toEqual(whole.json[0].counts);
        frames.forEach((frame, i) => {
          const bytes = frame.bytes.subarray(0, snaplen);
          const wholeLength = frameFieldsJson(decodeFrame(frame.bytes, 1), { number: i + 1, timeEpoch: '0' })['tcp.len'] as number;
          const decoded = decodeFrame(bytes, 1, { frameLength: frame.bytes.length });
          const fields = frameFieldsJson(decoded, { number: i + 1, timeEpoch: '0' });
          expect([snaplen, i + 1, fields['_ws.malformed'] ?? null, fields['tcp.len']]).toEqual([snaplen, i + 1, null, wholeLength]);
          expect(fields['tcp.checksum.status']).toBe(bytes.length < frame.bytes.length ? 'unverified' : 'good');
          // Where the header itself was cut, the Info column says so, in tshark's words.
          const headerCut = snaplen < frame.bytes.length - wholeLength;
          expect(decoded.layers.some((layer) => layer.cutShort)).toBe(headerCut);
          expect(frameColumns(decoded).info.endsWith('[Packet size limited during capture]')).toBe(headerCut);
          // The detail tree says so as a note, as Wireshark's does; never as an error.
          const { expert } = buildDetailTree(decoded, { number: i + 1, timeEpoch: '0', time: 0, tcp: null });
          expect(expert.some((note) => note.message === 'Packet size limited during capture: TCP truncated' && note.severity === 'note')).toBe(headerCut);
          expect(expert.some((note) => note.severity === 'error')).toBe(false);
        });
        if (HAS_TSHARK) {
          const { ours, theirs } = compareWithTshark(file, cut);
          // Divergence, decided for ours: tshark runs no sequence analysis on a segment whose
          // header the snap length cut (its dissector stops at the missing options), so such a
          // frame has no tcp.analysis.* (flags, initial RTT, acks_frame, bytes in flight) there. Everything that analysis needs
          // (seq, ack, flags, window, the IP length) was captured, so we analyse it as the whole
          // capture does (asserted above); on every other frame, and for the numbers on all, tshark agrees.
          const numbersOnly = (row: string): string => row.replace(/ irtt=.*$/, '');
          frames.forEach((frame, i) => {
            const tcpLength = frameFieldsJson(decodeFrame(frame.bytes, 1), { number: i + 1, timeEpoch: '0' })['tcp.len'] as number;
            if (snaplen < frame.bytes.length - tcpLength) {
              expect([snaplen, i + 1, numbersOnly(ours[i])]).toEqual([snaplen, i + 1, numbersOnly(theirs[i])]);
              expect(theirs[i].endsWith(' irtt= acks= rtt= bif= push= []')).toBe(true);
            } else {
              expect([snaplen, i + 1, ours[i]]).toEqual([snaplen, i + 1, theirs[i]]);
            }
          });
          const lengths = tshark(file, ['tcp.len', '_ws.malformed']);
          expect(lengths.map((row) => Number(row['tcp.len']))).toEqual(frames.map((frame, i) => frameFieldsJson(decodeFrame(frame.bytes, 1), { number: i + 1, timeEpoch: '0' })['tcp.len']));
          expect(lengths.every((row) => row['_ws.malformed'] === '')).toBe(true);
        }
      }
    });
  }

  it('a data offset past the segment its IP header declares is still malformed', () => {
    const [syn] = conversation(false);
    const bytes = syn.bytes.slice();
    bytes[14 + 20 + 12] = 0xf0; // 60-byte header in a 40-byte segment
    const decoded = decodeFrame(bytes, 1);
    expect(frameFieldsJson(decoded, { number: 1, timeEpoch: '0' })['_ws.malformed']).toBe('TCP data offset beyond the segment');
    // Even in a capture cut short: the wire length does not explain it either.
    const cutDecoded = decodeFrame(bytes.subarray(0, 60), 1, { frameLength: bytes.length });
    expect(frameFieldsJson(cutDecoded, { number: 1, timeEpoch: '0' })['_ws.malformed']).toBe('TCP data offset beyond the segment');
  });
});
