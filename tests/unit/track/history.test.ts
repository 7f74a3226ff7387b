/**
 * Zeek histories are shared between connections through a trie of (history, letter) steps,
 * up to a fixed number of distinct histories; past that, a connection keeps its own string.
 * A connection's history must not depend on which path held it: tracked among thousands of
 * others with varied histories (enough to fill the trie), it must read as it does alone.
 */
import { describe, expect, it } from 'vitest';
import { Tracker } from '../../../shared/track';
import { createPacketSummary, summarize } from '../../../shared/wire';
import { Conversation, seededRandom, type Side } from './scenario';

interface TestFrame {
  bytes: Uint8Array;
  tsSeconds: number;
  tsNanos: number;
  checksumBad: boolean;
}

/** One connection with a random life: how it starts, then a dozen random events from either side. */
function randomConnection(index: number, random: (n: number) => number): TestFrame[] {
  const frames: TestFrame[] = [];
  const client = { address: `198.18.${(index >> 8) & 0xff}.${index & 0xff}`, port: 20000 + (index % 40000), isn: random(0xffffffff) };
  const server = { address: '198.19.0.1', port: 443, isn: random(0xffffffff) };
  const c = new Conversation(client, server, [], index * 1e6);
  let bad = false;
  const send = (from: Side, flags: string, options: Parameters<Conversation['send']>[2] = {}) => {
    c.send(from, flags, { dt: 0.001, ...options });
    const frame = c.frames[c.frames.length - 1];
    frames.push({ ...frame, checksumBad: bad });
    bad = false;
  };
  const start = random(4);
  if (start <= 1) send('c', 'S');
  if (start === 1 || start === 2) send('s', 'SA');
  if (start === 1) send('c', 'A');
  for (let step = 0; step < 12; step++) {
    const from: Side = random(2) === 0 ? 'c' : 's';
    const to: Side = from === 'c' ? 's' : 'c';
    switch (random(10)) {
      case 0:
        send(from, 'A');
        break;
      case 1: {
        const at = c.nextSeq(from);
        send(from, 'PA', { payload: new Uint8Array(20) });
        send(from, 'PA', { payload: new Uint8Array(20), seq: at }); // retransmission
        break;
      }
      case 2:
        send(from, 'A', { window: 0 });
        break;
      case 3:
        send(from, 'PA', { payload: new Uint8Array(30), seq: c.nextSeq(from) + 500 }); // past a gap
        send(to, 'A');
        break;
      case 4:
        bad = true;
        send(from, 'PA', { payload: new Uint8Array(10) });
        break;
      case 5:
        send(from, 'FA');
        break;
      case 6:
        send(from, random(2) === 0 ? 'R' : 'RA');
        break;
      case 7:
        send(from, from === 'c' ? 'S' : 'SA');
        break;
      default:
        send(from, 'PA', { payload: new Uint8Array(1 + random(200)) });
    }
  }
  return frames;
}

/** Each input connection's histories (a SYN after its close starts another on the same ports), by its client endpoint. */
function histories(connections: TestFrame[][]): Map<string, string[]> {
  const tracker = new Tracker();
  const summary = createPacketSummary();
  let number = 0;
  for (const frames of connections) {
    for (const frame of frames) {
      summarize(frame.bytes, 1, summary, frame.bytes.length);
      tracker.track(++number, frame.tsSeconds, frame.tsNanos, summary, frame.bytes, frame.checksumBad);
    }
  }
  tracker.finish();
  const byClient = new Map<string, string[]>();
  for (const connection of tracker.connections()) {
    // A guessed direction may have swapped the ends; the server is the same for all.
    const end = connection.server.port === 443 ? connection.client : connection.server;
    const key = `${end.address}:${end.port}`;
    byClient.set(key, [...(byClient.get(key) ?? []), connection.history]);
  }
  return byClient;
}

const clientKey = (index: number): string => `198.18.${(index >> 8) & 0xff}.${index & 0xff}:${20000 + (index % 40000)}`;

describe('Zeek histories beyond the shared ones', () => {
  it('reads the same among 6,000 varied connections as alone', { timeout: 240_000 }, () => {
    const random = seededRandom(0x5eed);
    const connections = Array.from({ length: 6000 }, (_, index) => randomConnection(index, random));
    const together = histories(connections);
    expect(together.size).toBe(connections.length);

    // The trie was filled: more distinct histories (every prefix is one) than it shares.
    const prefixes = new Set<string>();
    for (const list of together.values()) for (const history of list) for (let n = 1; n <= history.length; n++) prefixes.add(history.slice(0, n));
    expect(prefixes.size).toBeGreaterThan(4096);

    // Every 30th connection, the late ones included, tracked alone in a fresh tracker.
    for (let index = 0; index < connections.length; index += 30) {
      const alone = histories([connections[index]]).get(clientKey(index));
      expect([index, alone]).toEqual([index, together.get(clientKey(index))]);
    }
  });
});
