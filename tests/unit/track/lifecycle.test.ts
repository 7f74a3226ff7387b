/**
 * One scenario per connection-lifecycle behaviour, built with the project's encoder into
 * real capture files. Expected endpoint states come from RFC 9293 figure 5; expected
 * conn_state/history are derived by hand from Zeek's rules (cited per case); per-frame
 * numbering and analysis flags are cross-checked against tshark on the same file.
 */
import { describe, expect, it } from 'vitest';
import { HAS_TSHARK, compareWithTshark, Conversation, tempFile, trackFile, tshark, writeCapture, type TrackedCapture } from './scenario';

const CLIENT = { address: '198.18.0.1', port: 40000, isn: 1000 };
const SERVER = { address: '198.18.0.2', port: 80, isn: 5000 };
const SYN_OPTIONS = [{ kind: 'mss' as const, value: 1460 }, { kind: 'sack_perm' as const }, { kind: 'wscale' as const, shift: 7 }];

function open(c: Conversation): Conversation {
  return c.send('c', 'S', { options: SYN_OPTIONS }).send('s', 'SA', { options: SYN_OPTIONS }).send('c', 'A', { window: 502 });
}

function run(c: Conversation, name: string, format: 'pcap' | 'pcapng' = 'pcapng'): { file: string; t: TrackedCapture } {
  const file = writeCapture(c.frames, tempFile(`${name}.${format}`), format);
  return { file, t: trackFile(file) };
}

/** States of one endpoint as "STATE@frame". */
function states(t: TrackedCapture, side: 'client' | 'server', index = 0): string[] {
  return t.connections[index].states[side].map((s) => `${s.state}@${s.frame ?? 'timer'}`);
}

/**
 * Our per-frame stream/seq/ack/nxtseq/window/flags must equal tshark's, frame by frame, and each
 * connection's completeness and byte count must equal what tshark's second pass shows.
 */
function expectTsharkAgrees(file: string, t: TrackedCapture): void {
  if (!HAS_TSHARK) return;
  const { ours, theirs } = compareWithTshark(file, t);
  expect(ours).toEqual(theirs);
  const final = new Map<string, string>();
  const bytes = new Map<string, number>();
  for (const row of tshark(file, ['tcp.stream', 'tcp.completeness', 'frame.len'], true)) {
    final.set(row['tcp.stream'], row['tcp.completeness']);
    bytes.set(row['tcp.stream'], (bytes.get(row['tcp.stream']) ?? 0) + Number(row['frame.len']));
  }
  expect(t.json.map((c) => c.completeness)).toEqual(t.json.map((c) => Number(final.get(String(c['tcp.stream'])))));
  expect(t.json.map((c) => c.bytes)).toEqual(t.json.map((c) => bytes.get(String(c['tcp.stream']))));
}

describe('opening and closing', () => {
  it('normal close by the client: three-way handshake, four-way teardown, client in TIME_WAIT', () => {
    const c = open(new Conversation(CLIENT, SERVER))
      .send('c', 'PA', { payload: 'GET / HTTP/1.1\r\n\r\n', window: 502 })
      .send('s', 'A', { window: 509 })
      .send('s', 'PA', { payload: 'HTTP/1.1 200 OK\r\n\r\n', window: 509 })
      .send('c', 'A', { window: 502 })
      .send('c', 'FA', { window: 502 })
      .send('s', 'A', { window: 509 })
      .send('s', 'FA', { window: 509 })
      .send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'client-close');
    const conn = t.json[0];
    expect(conn.client).toBe('198.18.0.1:40000');
    expect(conn.server).toBe('198.18.0.2:80');
    expect(conn.frames).toBe(11);
    // Zeek: both endpoints CLOSED (each sent a FIN) → SF. History, first of each kind in
    // order: S (orig SYN) h (resp SYN+ACK) A (orig pure ACK) D (orig data) a d F f.
    expect(conn.conn_state).toBe('SF');
    expect(conn.history).toBe('ShADadFf');
    expect(conn.handshake).toEqual({ kind: 'three-way', complete: true, frames: [1, 2, 3], syn_retransmissions: 0, synack_retransmissions: 0, initial_rtt: 0.02, data_on_final_ack: false, refused: false });
    expect(conn.teardown).toEqual({ kind: 'four-way', initiator: 'client', frames: [8, 9, 10, 11], half_close_bytes: 0 });
    // RFC 9293 figure 5: active closer FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT; passive CLOSE_WAIT → LAST_ACK → CLOSED.
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'ESTABLISHED@2', 'FIN_WAIT_1@8', 'FIN_WAIT_2@9', 'TIME_WAIT@10']);
    expect(states(t, 'server')).toEqual(['LISTEN@1', 'SYN_RECEIVED@1', 'ESTABLISHED@3', 'CLOSE_WAIT@8', 'LAST_ACK@10', 'CLOSED@11']);
    // The capture ends 10 ms after the last ACK, far short of 2×MSL: still TIME_WAIT.
    expect(conn.final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    expect(t.changes[1]).toEqual(['server:LISTEN', 'server:SYN_RECEIVED', 'client:ESTABLISHED']);
    if (HAS_TSHARK) {
      // Wireshark's completeness, read after its second pass: SYN|SYN-ACK|ACK|DATA|FIN = 31.
      const rows = tshark(file, ['tcp.completeness', 'tcp.analysis.initial_rtt'], true);
      expect(conn.completeness).toBe(Number(rows[rows.length - 1]['tcp.completeness']));
      expect(Number(t.keys[3]?.['tcp.analysis.initial_rtt'])).toBeCloseTo(Number(rows[3]['tcp.analysis.initial_rtt']), 9);
    }
    expectTsharkAgrees(file, t);
  });

  it('normal close by the server: the server is the active closer', () => {
    const c = open(new Conversation(CLIENT, SERVER))
      .send('c', 'PA', { payload: 'hello', window: 502 })
      .send('s', 'PA', { payload: 'bye', window: 509 })
      .send('c', 'A', { window: 502 })
      .send('s', 'FA', { window: 509 })
      .send('c', 'A', { window: 502 })
      .send('c', 'FA', { window: 502 })
      .send('s', 'A', { window: 509 });
    const { file, t } = run(c, 'server-close', 'pcap');
    const conn = t.json[0];
    // Zeek: S h A D d (resp data with ACK: 'd') f (resp FIN) F (orig FIN); resp's pure ACK after
    // the orig FIN is its first pure ACK: 'a'. Both CLOSED → SF.
    expect(conn.history).toBe('ShADdfFa');
    expect(conn.conn_state).toBe('SF');
    expect(conn.teardown).toEqual({ kind: 'four-way', initiator: 'server', frames: [7, 8, 9, 10], half_close_bytes: 0 });
    expect(states(t, 'server')).toEqual(['LISTEN@1', 'SYN_RECEIVED@1', 'ESTABLISHED@3', 'FIN_WAIT_1@7', 'FIN_WAIT_2@8', 'TIME_WAIT@9']);
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'ESTABLISHED@2', 'CLOSE_WAIT@7', 'LAST_ACK@9', 'CLOSED@10']);
    expect(conn.final_state).toEqual({ client: 'CLOSED', server: 'TIME_WAIT' });
    expectTsharkAgrees(file, t);
  });

  it('three-segment close: FIN, FIN+ACK, ACK', () => {
    const c = open(new Conversation(CLIENT, SERVER)).send('c', 'FA', { window: 502 }).send('s', 'FA', { window: 509 }).send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'three-segment');
    expect(t.json[0].teardown).toEqual({ kind: 'three-way', initiator: 'client', frames: [4, 5, 6], half_close_bytes: 0 });
    // RFC 9293 §3.10.7.4 processes the ACK field before the FIN bit, so the FIN+ACK moves the
    // client FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT within the one segment.
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'ESTABLISHED@2', 'FIN_WAIT_1@4', 'FIN_WAIT_2@5', 'TIME_WAIT@5']);
    expect(states(t, 'server')).toEqual(['LISTEN@1', 'SYN_RECEIVED@1', 'ESTABLISHED@3', 'CLOSE_WAIT@4', 'LAST_ACK@5', 'CLOSED@6']);
    expect(t.json[0].conn_state).toBe('SF');
    expectTsharkAgrees(file, t);
  });

  it('simultaneous close: FINs cross, both endpoints pass CLOSING into TIME_WAIT', () => {
    const c = open(new Conversation(CLIENT, SERVER));
    const clientFinSeq = c.nextSeq('c');
    c.send('c', 'FA', { window: 502 })
      .send('s', 'FA', { window: 509, ack: c.nextSeq('c') - 1 }) // sent before the client's FIN arrived
      .send('c', 'A', { window: 502 })
      .send('s', 'A', { window: 509, ack: clientFinSeq + 1 });
    const { file, t } = run(c, 'simultaneous-close');
    expect(t.json[0].teardown).toMatchObject({ kind: 'simultaneous', initiator: 'client' });
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'ESTABLISHED@2', 'FIN_WAIT_1@4', 'CLOSING@5', 'TIME_WAIT@7']);
    expect(states(t, 'server')).toEqual(['LISTEN@1', 'SYN_RECEIVED@1', 'ESTABLISHED@3', 'FIN_WAIT_1@5', 'CLOSING@5', 'TIME_WAIT@6']);
    expect(t.json[0].final_state).toEqual({ client: 'TIME_WAIT', server: 'TIME_WAIT' });
    expectTsharkAgrees(file, t);
  });

  it('half-close: the server keeps sending after the client FIN; still four-way, bytes counted', () => {
    const c = open(new Conversation(CLIENT, SERVER))
      .send('c', 'FA', { window: 502 })
      .send('s', 'A', { window: 509 })
      .send('s', 'PA', { payload: 'x'.repeat(100), window: 509 })
      .send('c', 'A', { window: 502 })
      .send('s', 'PA', { payload: 'y'.repeat(50), window: 509 })
      .send('c', 'A', { window: 502 })
      .send('s', 'FA', { window: 509 })
      .send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'half-close');
    expect(t.json[0].teardown).toEqual({ kind: 'four-way', initiator: 'client', frames: [4, 5, 10, 11], half_close_bytes: 150 });
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'ESTABLISHED@2', 'FIN_WAIT_1@4', 'FIN_WAIT_2@5', 'TIME_WAIT@10']);
    expect(t.json[0].conn_state).toBe('SF');
    expectTsharkAgrees(file, t);
  });

  it('simultaneous open: SYNs cross, both sides go through SYN_RECEIVED', () => {
    const c = new Conversation(CLIENT, { ...SERVER, port: 40001 });
    c.send('c', 'S').send('s', 'S').send('c', 'SA', { seq: 1000 }).send('s', 'SA', { seq: 5000 }).send('c', 'A');
    const { file, t } = run(c, 'simultaneous-open');
    const conn = t.json[0];
    expect(conn.handshake).toMatchObject({ kind: 'simultaneous-open', complete: true, frames: [1, 2, 3, 4] });
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'SYN_RECEIVED@2', 'ESTABLISHED@4']);
    expect(states(t, 'server')).toEqual(['SYN_SENT@2', 'SYN_RECEIVED@2', 'ESTABLISHED@3']);
    expectTsharkAgrees(file, t);
  });

  it('data on the third segment of the handshake', () => {
    const c = new Conversation(CLIENT, SERVER)
      .send('c', 'S', { options: SYN_OPTIONS })
      .send('s', 'SA', { options: SYN_OPTIONS })
      .send('c', 'PA', { payload: 'early data', window: 502 })
      .send('s', 'A', { window: 509 });
    const { file, t } = run(c, 'data-third');
    expect(t.json[0].handshake).toMatchObject({ complete: true, frames: [1, 2, 3], data_on_final_ack: true });
    expect(t.connections[0].handshake.finalAckAcksIsn).toBe(true);
    // Zeek: a data segment without SYN/FIN/RST records 'D', not 'A'.
    expect(t.json[0].history).toBe('ShDa');
    expectTsharkAgrees(file, t);
  });

  it('a retransmitted SYN+ACK is counted; the initial RTT and its server-side and client-side parts', () => {
    const c = new Conversation(CLIENT, SERVER)
      .send('c', 'S', { dt: 0 })
      .send('s', 'SA', { dt: 0.004 })
      .send('s', 'SA', { seq: SERVER.isn, dt: 1 }) // the client's ACK was lost
      .send('c', 'A', { dt: 0.002 })
      .send('c', 'PA', { payload: 'x' });
    const { file, t } = run(c, 'synack-retransmission');
    expect(t.json[0].handshake).toMatchObject({ complete: true, frames: [1, 2, 4], syn_retransmissions: 0, synack_retransmissions: 1 });
    expect(t.keys[2]?.['tcp.analysis.retransmission']).toBe(true);
    const h = t.connections[0].handshake;
    // initial_rtt spans the whole wait from the SYN to the ACK, as Wireshark measures it (1.006 s).
    // Its parts: SYN → first SYN+ACK (the server side of the capture point, 4 ms) and the SYN+ACK
    // copy the ACK answers → the ACK (the client side, 2 ms); a lost ACK sits between them.
    expect(h.initialRtt).toBeCloseTo(1.006, 9);
    expect(h.synToSynAck).toBeCloseTo(0.004, 9);
    expect(h.synAckToAck).toBeCloseTo(0.002, 9);
    if (HAS_TSHARK) expect(Number(tshark(file, ['tcp.analysis.initial_rtt'])[3]['tcp.analysis.initial_rtt'])).toBeCloseTo(1.006, 9);
    expectTsharkAgrees(file, t);
  });

  it('SYN with data (TCP Fast Open) is reported as such', () => {
    const c = new Conversation(CLIENT, SERVER)
      .send('c', 'S', { payload: 'tfo-data', options: [{ kind: 'mss', value: 1460 }, { kind: 'tfo', cookie: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }] })
      .send('s', 'SA', { ack: CLIENT.isn + 1 + 8 })
      .send('c', 'A');
    const { t } = run(c, 'tfo');
    expect(t.connections[0].handshake.synWithData).toBe(true);
    // The SYN+ACK acknowledges the SYN and its 8 bytes (RFC 7413 §4.2: the server accepted the data),
    // which acknowledges the ISN as well: a complete TFO handshake.
    expect(t.connections[0].handshake.synAckAcksIsn).toBe(true);
    expect(t.json[0].handshake).toMatchObject({ kind: 'tfo', complete: true });
  });

  it('a flag count alone is not a handshake: a final ACK that does not acknowledge ISN_s+1', () => {
    const c = new Conversation(CLIENT, SERVER).send('c', 'S').send('s', 'SA').send('c', 'A', { ack: SERVER.isn + 77 });
    const { t } = run(c, 'bad-ack');
    expect(t.json[0].handshake).toMatchObject({ complete: false });
    expect(t.connections[0].handshake.finalAckAcksIsn).toBe(false);
    // The server never sees its SYN acknowledged: it stays in SYN_RECEIVED.
    expect(t.json[0].final_state).toEqual({ client: 'ESTABLISHED', server: 'SYN_RECEIVED' });
  });
});

describe('refusals, aborts and unanswered attempts', () => {
  it('refused: RST+ACK answers the SYN → REJ', () => {
    const c = new Conversation(CLIENT, SERVER).send('c', 'S').send('s', 'RA', { seq: 0, ack: CLIENT.isn + 1 });
    const { file, t } = run(c, 'refused');
    const conn = t.json[0];
    // Zeek: resp RESET while orig is SYN_SENT → REJ. History S then r.
    expect(conn.conn_state).toBe('REJ');
    expect(conn.history).toBe('Sr');
    expect(conn.teardown).toEqual({ kind: 'reset', initiator: 'server', frames: [2], half_close_bytes: 0 });
    expect(t.connections[0].handshake.rejected).toBe(true);
    // The server was never listening: no LISTEN is inferred for it.
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'CLOSED@2']);
    expect(states(t, 'server')).toEqual([]);
    expect(conn.final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    expectTsharkAgrees(file, t);
  });

  it('unanswered SYN with retransmissions → S0, retransmissions counted and flagged', () => {
    const c = new Conversation(CLIENT, SERVER).send('c', 'S').send('c', 'S', { seq: CLIENT.isn, dt: 1 }).send('c', 'S', { seq: CLIENT.isn, dt: 2 });
    const { file, t } = run(c, 'unanswered');
    const conn = t.json[0];
    // Zeek: orig SYN_SENT, resp INACTIVE → S0; a SYN with the same sequence adds no second 'S'.
    expect(conn.conn_state).toBe('S0');
    expect(conn.history).toBe('S');
    expect(conn.handshake).toMatchObject({ kind: 'three-way', complete: false, syn_retransmissions: 2, frames: [1] });
    expect(t.keys[1]?.['tcp.analysis.retransmission']).toBe(true);
    expect(t.keys[2]?.['tcp.analysis.retransmission']).toBe(true);
    expect(conn.counts).toMatchObject({ retransmissions: 2 });
    expect(conn.final_state).toEqual({ client: 'SYN_SENT', server: 'CLOSED' });
    expectTsharkAgrees(file, t);
  });

  it('SYN then RST from the client, no answer → RSTOS0', () => {
    const c = new Conversation(CLIENT, SERVER).send('c', 'S').send('c', 'R', { seq: CLIENT.isn + 1 });
    const { file, t } = run(c, 'syn-rst');
    // Zeek: orig RESET, resp inactive, history matches ^?S[^HAFGIQ]*R → RSTOS0.
    expect(t.json[0].conn_state).toBe('RSTOS0');
    expect(t.json[0].history).toBe('SR');
    expect(states(t, 'client')).toEqual(['SYN_SENT@1', 'CLOSED@2']);
    expectTsharkAgrees(file, t);
  });

  it('RST abort by the client after data → RSTO, reset named', () => {
    const c = open(new Conversation(CLIENT, SERVER)).send('c', 'PA', { payload: 'abc', window: 502 }).send('s', 'A', { window: 509 }).send('c', 'RA', { window: 0 });
    const { file, t } = run(c, 'abort-client');
    // Zeek: orig RESET, resp ESTABLISHED → RSTO.
    expect(t.json[0].conn_state).toBe('RSTO');
    expect(t.json[0].history).toBe('ShADaR');
    expect(t.json[0].teardown).toEqual({ kind: 'reset', initiator: 'client', frames: [6], half_close_bytes: 0 });
    expect(states(t, 'client').at(-1)).toBe('CLOSED@6');
    expect(states(t, 'server').at(-1)).toBe('CLOSED@6');
    expectTsharkAgrees(file, t);
  });

  it('RST abort by the server → RSTR', () => {
    const c = open(new Conversation(CLIENT, SERVER)).send('c', 'PA', { payload: 'abc', window: 502 }).send('s', 'RA', { window: 0 });
    const { file, t } = run(c, 'abort-server');
    // Zeek: resp RESET, orig ESTABLISHED and it sent data → RSTR.
    expect(t.json[0].conn_state).toBe('RSTR');
    expect(t.json[0].teardown).toMatchObject({ kind: 'reset', initiator: 'server' });
    expectTsharkAgrees(file, t);
  });

  it('an RST outside the receive window does not close the receiver (RFC 9293 §3.10.7.4)', () => {
    const c = open(new Conversation(CLIENT, SERVER)).send('s', 'R', { seq: SERVER.isn + 1_000_000 });
    const { t } = run(c, 'blind-rst');
    expect(t.json[0].final_state).toEqual({ client: 'ESTABLISHED', server: 'CLOSED' });
  });
});

describe('pickup, reuse, IPv6, wrap-around, TIME_WAIT expiry', () => {
  it('mid-stream pickup: no SYN, higher port guessed as client, ^ in history → OTH', () => {
    const c = new Conversation(CLIENT, SERVER)
      .send('s', 'PA', { payload: 'response', window: 509 })
      .send('c', 'A', { window: 502 })
      .send('c', 'PA', { payload: 'more', window: 502 });
    const { file, t } = run(c, 'midstream');
    const conn = t.json[0];
    expect(conn.client).toBe('198.18.0.1:40000');
    expect(t.connections[0].directionGuessed).toBe(true);
    // Zeek: both endpoints PARTIAL (no SYN) → OTH; history d A D after the ^ marker.
    expect(conn.history).toBe('^dAD');
    expect(conn.conn_state).toBe('OTH');
    expect(conn.handshake).toMatchObject({ kind: null, complete: false });
    expectTsharkAgrees(file, t);
  });

  it('port reuse: a new SYN with another ISN on a closed tuple opens a new tcp.stream', () => {
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    const first = new Conversation(CLIENT, SERVER, all);
    open(first).send('c', 'FA', { window: 502 }).send('s', 'FA', { window: 509 }).send('c', 'A', { window: 502 });
    const second = new Conversation({ ...CLIENT, isn: 900_000 }, { ...SERVER, isn: 7_000_000 }, all, first.elapsedNs + 5e9);
    open(second).send('c', 'RA', { window: 502 });
    const file = writeCapture(all, tempFile('reuse.pcapng'));
    const t = trackFile(file);
    expect(t.json.map((j) => j['tcp.stream'])).toEqual([0, 1]);
    expect(t.keys[6]?.['tcp.analysis.reused_ports']).toBe(true);
    expect(t.keys[6]?.['tcp.stream']).toBe(1);
    expect(t.json[1].conn_state).toBe('RSTO');
    // The first connection's client is in TIME_WAIT (5 s < 2×MSL) when the tuple is reused.
    expect(t.json[0].final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    expectTsharkAgrees(file, t);
  });

  it('TIME_WAIT ends 2×MSL after it began, in capture time (MSL configurable)', () => {
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    const a = new Conversation(CLIENT, SERVER, all);
    open(a).send('c', 'FA', { window: 502 }).send('s', 'FA', { window: 509 }).send('c', 'A', { window: 502 });
    // Another connection keeps the capture going 3 s longer.
    new Conversation({ ...CLIENT, port: 40002 }, SERVER, all, a.elapsedNs + 3e9).send('c', 'S');
    const file = writeCapture(all, tempFile('timewait.pcapng'));
    const t = trackFile(file, { mslSeconds: 1 });
    const client = t.connections[0].states.client;
    expect(client.at(-2)?.state).toBe('TIME_WAIT');
    expect(client.at(-1)).toMatchObject({ state: 'CLOSED', frame: null });
    // TIME_WAIT began at frame 5 (the server's FIN+ACK): 2×1 s later.
    const began = client.at(-2)?.time;
    const ended = client.at(-1)?.time;
    expect(ended && began ? ended.sec - began.sec : -1).toBe(2);
    expect(ended?.ns).toBe(began?.ns);
    expect(t.json[0].final_state).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    // With the default MSL (60 s) the same capture ends in TIME_WAIT.
    expect(trackFile(file).json[0].final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('IPv6: "[addr]:port" endpoints and the same analysis', () => {
    const c = open(new Conversation({ address: '2001:db8::1', port: 51000, isn: 1 }, { address: '2001:db8::2', port: 443, isn: 2 }))
      .send('c', 'PA', { payload: 'x', window: 502 })
      .send('s', 'A', { window: 509 })
      .send('c', 'FA', { window: 502 })
      .send('s', 'FA', { window: 509 })
      .send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'ipv6');
    expect(t.json[0].client).toBe('[2001:db8::1]:51000');
    expect(t.json[0].server).toBe('[2001:db8::2]:443');
    expect(t.json[0].conn_state).toBe('SF');
    expect(t.json[0].teardown).toMatchObject({ kind: 'three-way' });
    expectTsharkAgrees(file, t);
  });

  it('sequence wrap-around: ISNs just below 2^32 wrap without a single false flag', () => {
    const c = open(new Conversation({ ...CLIENT, isn: 0xffffff00 }, { ...SERVER, isn: 0xfffffff0 }));
    for (let i = 0; i < 6; i++) {
      c.send('c', 'PA', { payload: new Uint8Array(100).fill(i), window: 502 }).send('s', 'PA', { payload: new Uint8Array(7).fill(i), window: 509 });
    }
    c.send('c', 'FA', { window: 502 }).send('s', 'FA', { window: 509 }).send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'wrap');
    for (const k of t.keys) expect(Object.keys(k ?? {}).filter((key) => key.startsWith('tcp.analysis.') && k?.[key] === true)).toEqual([]);
    expect(t.json[0].conn_state).toBe('SF');
    expect(t.json[0].teardown).toMatchObject({ kind: 'three-way' });
    // Relative numbers continue through the wrap: the client's FIN comes after 600 bytes.
    expect(t.keys[15]?.['tcp.seq']).toBe(601);
    expectTsharkAgrees(file, t);
  });
});
