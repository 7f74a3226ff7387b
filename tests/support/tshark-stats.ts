/**
 * tshark's statistics (-z expert, -z conv, -z endpoints) parsed into plain records, the
 * oracle of the Expert Information and Conversations tests.
 */
import { execFileSync } from 'node:child_process';

function tsharkQuiet(file: string, args: string[]): string {
  return execFileSync('tshark', ['-r', file, '-q', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
}

export interface TsharkExpertLine {
  severity: 'error' | 'warn' | 'note' | 'chat';
  count: number;
  group: string;
  protocol: string;
  summary: string;
}

/** `tshark -q -z expert` with TCP checksums verified (Wireshark leaves that off by default). */
export function tsharkExpert(file: string): TsharkExpertLine[] {
  const text = tsharkQuiet(file, ['-o', 'tcp.check_checksum:TRUE', '-z', 'expert']);
  const severities: Record<string, TsharkExpertLine['severity']> = { Errors: 'error', Warns: 'warn', Notes: 'note', Chats: 'chat' };
  const out: TsharkExpertLine[] = [];
  let severity: TsharkExpertLine['severity'] | null = null;
  for (const line of text.split('\n')) {
    const heading = /^(Errors|Warns|Notes|Chats) \(\d+\)/.exec(line);
    if (heading) {
      severity = severities[heading[1]];
      continue;
    }
    const row = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (severity && row && row[1] !== undefined) out.push({ severity, count: Number(row[1]), group: row[2], protocol: row[3], summary: row[4].trim() });
  }
  return out;
}

/**
 * tshark's summary → our expert kind (shared/expert). Null: a note we do not make (application
 * protocols we do not dissect, and Wireshark 4.0's FIN notes "initiates/undergoes the connection
 * closing", which our teardown story tells per connection instead).
 */
export function expertKindOf(line: TsharkExpertLine): string | null {
  const s = line.summary;
  if (line.protocol !== 'TCP') return line.group === 'Malformed' ? 'malformed' : null;
  const table: Array<[RegExp, string]> = [
    [/^Bad checksum/, 'bad-checksum'],
    [/^This frame is a \(suspected\) retransmission$/, 'retransmission'],
    [/^This frame is a \(suspected\) fast retransmission$/, 'fast-retransmission'],
    [/^This frame is a \(suspected\) spurious retransmission$/, 'spurious-retransmission'],
    [/^This frame is a \(suspected\) out-of-order segment$/, 'out-of-order'],
    [/^Duplicate ACK \(#\d+\)$/, 'dup-ack'],
    [/^TCP Zero Window segment$/, 'zero-window'],
    [/^TCP Zero Window Probe$/, 'zero-window-probe'],
    [/^TCP window update$/, 'window-update'],
    [/^TCP window specified by the receiver is now completely full$/, 'window-full'],
    [/^Previous segment\(s\) not captured/, 'lost-segment'],
    [/^ACKed segment that wasn't captured/, 'ack-lost-segment'],
    [/^TCP keep-alive segment$/, 'keep-alive'],
    [/^ACK to a TCP keep-alive segment$/, 'keep-alive-ack'],
    [/^A new tcp session is started with the same ports/, 'reused-ports'],
    [/^Connection reset \(RST\)$/, 'rst'],
    [/^Connection establish request \(SYN\)/, 'syn'],
    [/^Connection establish acknowledge \(SYN\+ACK\)/, 'syn-ack'],
    [/^Connection finish \(FIN\)$/, 'fin'],
  ];
  for (const [pattern, kind] of table) if (pattern.test(s)) return kind;
  return null;
}

/** tshark's counts by our kind (tshark lists "Duplicate ACK (#n)" and SYNs per port separately; summed here). */
export function tsharkExpertCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of tsharkExpert(file)) {
    const kind = expertKindOf(line);
    if (kind) counts[kind] = (counts[kind] ?? 0) + line.count;
  }
  return counts;
}

export interface TsharkConversation {
  a: string;
  b: string;
  framesBA: number;
  bytesBA: number;
  framesAB: number;
  bytesAB: number;
  frames: number;
  bytes: number;
  start: number;
  duration: number;
}

/** `tshark -q -z conv,TYPE`: rows of "A <-> B  framesBA bytesBA  framesAB bytesAB  total  start duration". */
export function tsharkConversations(file: string, type: 'eth' | 'ip' | 'ipv6' | 'tcp' | 'udp'): TsharkConversation[] {
  const text = tsharkQuiet(file, ['-z', `conv,${type}`]);
  const out: TsharkConversation[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+bytes\s+(\d+)\s+(\d+)\s+bytes\s+(\d+)\s+(\d+)\s+bytes\s+([\d.]+)\s+([\d.]+)/.exec(line);
    if (!m) continue;
    out.push({
      a: m[1],
      b: m[2],
      framesBA: Number(m[3]),
      bytesBA: Number(m[4]),
      framesAB: Number(m[5]),
      bytesAB: Number(m[6]),
      frames: Number(m[7]),
      bytes: Number(m[8]),
      start: Number(m[9]),
      duration: Number(m[10]),
    });
  }
  return out;
}

export interface TsharkEndpoint {
  address: string;
  frames: number;
  bytes: number;
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
}

/** `tshark -q -z endpoints,TYPE`. */
export function tsharkEndpoints(file: string, type: 'eth' | 'ip' | 'ipv6' | 'tcp' | 'udp'): TsharkEndpoint[] {
  const text = tsharkQuiet(file, ['-z', `endpoints,${type}`]);
  const out: TsharkEndpoint[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(?:(\d+)\s+)?(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const port = m[2];
    out.push({
      address: port === undefined ? m[1] : `${m[1]}:${port}`,
      frames: Number(m[3]),
      bytes: Number(m[4]),
      txFrames: Number(m[5]),
      txBytes: Number(m[6]),
      rxFrames: Number(m[7]),
      rxBytes: Number(m[8]),
    });
  }
  return out;
}
