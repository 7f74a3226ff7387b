import { describe, expect, it } from 'vitest';
import type { Ladder, LadderArrow, LadderTls } from '../../../shared/api';
import { explainArrow } from '../../../renderer/src/lib/explain';
import { ARROW_DROP, helloLabel, LADDER_LINE, LADDER_ROW, layoutLadder, type ArrowRow, type FoldRow } from '../../../renderer/src/lib/ladder-layout';

/**
 * A textbook connection written out by hand from RFC 9293 §3.5/§3.6: ISNs x = 0 and
 * y = 0 (relative), 3-way handshake, four data segments, client-initiated four-way close.
 */
function arrow(number: number, from: 'client' | 'server', flags: string, seq: number, ack: number, len: number, clientState: string, serverState: string, phase: LadderArrow['phase']): LadderArrow {
  return { frameIndex: number - 1, number, time: number / 100, from, flags, seq, ack, len, window: 502, clientState, serverState, phase, analysis: [] };
}

const textbook: Ladder = {
  stream: 0,
  client: '198.18.0.1:40000',
  server: '198.18.0.2:443',
  story: 'three-way handshake complete; four-way close by client',
  initialClientState: 'CLOSED',
  initialServerState: 'LISTEN',
  finalClientState: 'TIME_WAIT',
  finalServerState: 'CLOSED',
  truncated: false,
  arrows: [
    arrow(1, 'client', 'SYN', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', 'handshake'),
    arrow(2, 'server', 'SYN, ACK', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', 'handshake'),
    arrow(3, 'client', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', 'handshake'),
    arrow(4, 'client', 'PSH, ACK', 1, 1, 100, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(5, 'server', 'ACK', 1, 101, 0, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(6, 'server', 'PSH, ACK', 1, 101, 40, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(7, 'client', 'ACK', 101, 41, 0, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(8, 'client', 'FIN, ACK', 101, 41, 0, 'FIN_WAIT_1', 'CLOSE_WAIT', 'teardown'),
    arrow(9, 'server', 'ACK', 41, 102, 0, 'FIN_WAIT_2', 'CLOSE_WAIT', 'teardown'),
    arrow(10, 'server', 'FIN, ACK', 41, 102, 0, 'TIME_WAIT', 'LAST_ACK', 'teardown'),
    arrow(11, 'client', 'ACK', 102, 42, 0, 'TIME_WAIT', 'CLOSED', 'teardown'),
  ],
};
const geometry = { width: 1000, clientX: 300, serverX: 780 };

describe('ladder layout', () => {
  it('draws each segment from its sender\'s lane to the receiver\'s, sloping down', () => {
    const layout = layoutLadder(textbook, geometry, false);
    const rows = layout.rows as ArrowRow[];
    expect(rows).toHaveLength(11);
    expect(rows.map((r) => [r.x1, r.x2])).toEqual(textbook.arrows.map((a) => (a.from === 'client' ? [300, 780] : [780, 300])));
    for (let i = 1; i < rows.length; i++) expect(rows[i].y).toBeGreaterThan(rows[i - 1].y + ARROW_DROP);
    expect(rows[1].label).toBe('SYN, ACK  Seq=0 Ack=1 Len=0');
    expect(rows[0].label).toBe('SYN  Seq=0 Len=0');
  });

  it('writes a state on a lane only where it changes', () => {
    const rows = layoutLadder(textbook, geometry, false).rows as ArrowRow[];
    expect(rows.map((r) => r.clientChange).filter(Boolean)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(rows.map((r) => r.serverChange).filter(Boolean)).toEqual(['SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('bands the handshake and the teardown around their arrows', () => {
    const layout = layoutLadder(textbook, geometry, false);
    const rows = layout.rows as ArrowRow[];
    const band = (phase: string) => layout.bands.find((b) => b.phase === phase);
    expect(band('handshake')?.y1).toBeLessThan(rows[0].y);
    expect(band('handshake')?.y2).toBeGreaterThan(rows[2].y);
    expect(band('handshake')?.y2).toBeLessThan(rows[3].y);
    expect(band('teardown')?.y1).toBeGreaterThan(rows[6].y);
    expect(band('teardown')?.y1).toBeLessThan(rows[7].y);
  });

  it('folds a data phase of three or more segments into one row with each direction\'s bytes', () => {
    const layout = layoutLadder(textbook, geometry, true);
    expect(layout.rows).toHaveLength(3 + 1 + 4);
    const fold = layout.rows[3] as FoldRow;
    expect(fold).toMatchObject({ kind: 'fold', first: 3, last: 6, clientBytes: 100, serverBytes: 40 });
    // States still change at the right arrows after the fold.
    expect((layout.rows[4] as ArrowRow).clientChange).toBe('FIN_WAIT_1');
  });
});

/**
 * An HTTPS connection as a browser makes it (written out by hand): the ClientHello and
 * ServerHello are data segments between the handshake and more data.
 */
const clientHello: LadderTls = {
  hello: 'client',
  sni: 'shop.example',
  alpn: ['h2', 'http/1.1'],
  versions: ['0x2a2a', 'TLS 1.3', 'TLS 1.2'],
  ciphers: ['0x9a9a', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'],
};
const serverHello: LadderTls = { hello: 'server', sni: null, alpn: [], versions: ['TLS 1.3'], ciphers: ['TLS_AES_256_GCM_SHA384'] };
const https: Ladder = {
  ...textbook,
  arrows: textbook.arrows.map((a) => ({ ...a })),
};
https.arrows[3] = { ...https.arrows[3], len: 517, tls: clientHello };
https.arrows[5] = { ...https.arrows[5], len: 1200, tls: serverHello };

describe('TLS hellos on the ladder', () => {
  it('a ClientHello says what the client offered: SNI, ALPN, versions and how many cipher suites', () => {
    const label = helloLabel(clientHello);
    expect(label).toMatch(/^Client Hello/);
    expect(label).toContain('SNI=shop.example');
    expect(label).toContain('ALPN=h2,http/1.1');
    expect(label).toContain('versions=0x2a2a,TLS 1.3,TLS 1.2');
    expect(label).toContain('4 cipher suites');
    expect(helloLabel({ ...clientHello, sni: null, alpn: [] })).toContain('SNI=(none)  ALPN=(none)');
  });

  it('a ServerHello says what the server selected; a TLS 1.3 ALPN answer is encrypted, an older one is shown', () => {
    expect(helloLabel(serverHello)).toBe('Server Hello  TLS 1.3  TLS_AES_256_GCM_SHA384  ALPN encrypted');
    expect(helloLabel({ ...serverHello, versions: ['TLS 1.2'], alpn: ['h2'], ciphers: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] })).toBe(
      'Server Hello  TLS 1.2  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256  ALPN=h2',
    );
    expect(helloLabel({ ...serverHello, versions: ['TLS 1.2'] })).toContain('no ALPN');
  });

  it('only the segments that carried a hello get the line, with room for it before the next arrow', () => {
    const rows = layoutLadder(https, geometry, false).rows as ArrowRow[];
    expect(rows.map((r) => (r.hello ? r.arrow.number : null)).filter(Boolean)).toEqual([4, 6]);
    expect(rows[3].hello).toBe(helloLabel(clientHello));
    expect(rows[4].y - rows[3].y).toBe(LADDER_ROW + LADDER_LINE);
    expect(rows[3].y - rows[2].y).toBe(LADDER_ROW);
    // The line under the arrow (ARROW_DROP + about one text line) ends above the next row's label.
    expect(rows[3].y + ARROW_DROP + LADDER_LINE).toBeLessThan(rows[4].y - 4);
  });

  it('folding the data phase never folds a hello away: it splits the run, and short runs stay unfolded', () => {
    const rows = layoutLadder(https, geometry, true).rows;
    // Data arrows 4..7: 4 and 6 are hellos, so no run of three plain data segments remains.
    expect(rows.filter((r) => r.kind === 'fold')).toHaveLength(0);
    expect(rows.filter((r): r is ArrowRow => r.kind === 'arrow' && r.hello !== null).map((r) => r.arrow.number)).toEqual([4, 6]);
    const longer: Ladder = { ...https, arrows: [...https.arrows.slice(0, 7), ...[0, 1, 2].map((k) => ({ ...https.arrows[6], number: 8 + k, frameIndex: 7 + k })), ...https.arrows.slice(7)] };
    const folded = layoutLadder(longer, geometry, true).rows;
    const fold = folded.find((r): r is FoldRow => r.kind === 'fold');
    expect(fold).toMatchObject({ first: 6, last: 9 });
    expect(folded.filter((r): r is ArrowRow => r.kind === 'arrow' && r.hello !== null)).toHaveLength(2);
  });
});

describe('explain panel rules (RFC 9293, numbers filled in)', () => {
  const titles = (index: number) => explainArrow(textbook, index).map((e) => `${e.title} §${e.section}`);
  const text = (index: number) => explainArrow(textbook, index).map((e) => e.text).join(' ');

  it('SYN+ACK: ack 1 = peer seq 0 + 1, a SYN consumes one sequence number', () => {
    expect(text(1)).toContain('ack 1 = peer seq 0 + 1');
    expect(titles(1)[0]).toMatch(/§3\.5$/);
  });

  it('third segment: seq x+1 and ack y+1, and why three segments', () => {
    expect(text(2)).toContain('seq 1 = own ISN + 1 and ack 1 = peer ISN + 1');
    expect(text(2)).toContain('old duplicate SYN');
  });

  it('ACK of data is seq + length, not +1', () => {
    expect(text(4)).toContain('ack 101 = seq 1 + len 100 of frame 4');
    expect(text(4)).toContain('"+1" only after a SYN or a FIN');
  });

  it('the passive closer goes CLOSE_WAIT → LAST_ACK, the active one ends in TIME_WAIT for 2×MSL', () => {
    expect(titles(7).join()).toMatch(/CLOSE_WAIT §3\.6/);
    expect(text(9)).toContain('LAST_ACK (not FIN_WAIT_1');
    expect(text(9)).toContain('2×MSL');
    expect(text(10)).toContain('there is no "LAST_WAIT" state');
  });

  it('a data segment repeating the last ack number does not re-explain the acknowledgment', () => {
    // Frame 4 carries ack 1 again (already sent on frame 3): only its data is explained.
    expect(titles(3).join()).not.toMatch(/^ACK of/);
    expect(text(3)).toContain('Bytes 1 to 100');
  });

  it('ACK of a FIN adds one for the FIN', () => {
    expect(text(8)).toContain('ack 102 = seq 101 + 0 byte(s) + 1 of frame 8');
  });
});

describe('explain panel on TLS hellos (RFC 8446)', () => {
  it("a ClientHello is explained as the connection's first data, with what it offered and RFC 8446 §4.1.2", () => {
    const rules = explainArrow(https, 3);
    const hello = rules.find((rule) => rule.rfc === 8446);
    expect(hello).toMatchObject({ section: '4.1.2', title: expect.stringContaining('ClientHello') });
    expect(hello?.text).toContain('SNI shop.example');
    expect(hello?.text).toContain('ALPN h2, http/1.1');
    expect(hello?.text).toContain('TLS versions (0x2a2a, TLS 1.3, TLS 1.2)');
    expect(hello?.text).toContain('4 cipher suites');
    // The TCP rules of the same segment stay, with their RFC 9293 sections.
    expect(rules.filter((rule) => rule.rfc === undefined).length).toBeGreaterThan(0);
  });

  it('a TLS 1.3 ServerHello names the choices and why the ALPN answer cannot be seen; an older one shows it', () => {
    const hello = explainArrow(https, 5).find((rule) => rule.rfc === 8446);
    expect(hello).toMatchObject({ section: '4.1.3' });
    expect(hello?.text).toContain('one version (TLS 1.3) and one cipher suite (TLS_AES_256_GCM_SHA384)');
    expect(hello?.text).toContain('EncryptedExtensions');
    const older: Ladder = { ...https, arrows: https.arrows.map((a, i) => (i === 5 ? { ...a, tls: { ...serverHello, versions: ['TLS 1.2'], alpn: ['h2'] } } : a)) };
    const shown = explainArrow(older, 5).find((rule) => rule.rfc === 8446);
    expect(shown?.text).toContain('the application protocol h2');
    expect(shown?.text).not.toContain('EncryptedExtensions');
  });

  it('segments without a hello get no TLS rule', () => {
    for (const index of [0, 1, 2, 4, 6]) expect(explainArrow(https, index).some((rule) => rule.rfc === 8446)).toBe(false);
  });
});

describe('TIME_WAIT note', () => {
  it('names 2×MSL with the MSL the tracker used, and nothing when the host did not say', async () => {
    const { timeWaitNote } = await import('../../../renderer/src/lib/ladder-layout');
    const { DEFAULT_MSL_SECONDS } = await import('../../../shared/track');
    expect(DEFAULT_MSL_SECONDS).toBe(30); // Linux holds TIME_WAIT 60 s (TCP_TIMEWAIT_LEN)
    expect(timeWaitNote({ mslSeconds: DEFAULT_MSL_SECONDS })).toBe('2×MSL = 60 s (MSL 30 s)');
    expect(timeWaitNote({ mslSeconds: 120 })).toBe('2×MSL = 240 s (MSL 120 s)');
    expect(timeWaitNote({})).toBeNull();
  });
});
