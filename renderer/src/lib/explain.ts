/**
 * The explain panel's rules: for one segment of a ladder, the rules of RFC 9293 at work,
 * in plain words with this connection's numbers filled in. It also quietly corrects
 * what popular notes get wrong (the third segment's seq is x+1, "ACK = seq+1" only for
 * SYN/FIN, the passive closer goes CLOSE_WAIT → LAST_ACK, there is no LAST_WAIT).
 */
import type { Ladder, LadderArrow, Side } from '../../../shared/api';

export interface Explanation {
  title: string;
  text: string;
  /** Section of the RFC, e.g. "3.5". */
  section: string;
  /** The RFC the section is in: 9293 (TCP) unless said otherwise. */
  rfc?: number;
}

/** Where a rule is written down: "RFC 9293 §3.5" and its address on rfc-editor.org (RFC 9293 unless the rule names another). */
export function referenceOf(item: Explanation): { label: string; href: string } {
  const rfc = item.rfc ?? 9293;
  return { label: `RFC ${rfc} §${item.section}`, href: `https://www.rfc-editor.org/rfc/rfc${rfc}#section-${item.section}` };
}

/** TLS 1.3 (RFC 8446): the ClientHello and ServerHello sections. */
const TLS_RFC = 8446;

const has = (arrow: LadderArrow, flag: string) => arrow.flags.split(', ').includes(flag);
/** Sequence space a segment occupies: its bytes plus one for SYN and one for FIN. */
export const seqSpace = (arrow: LadderArrow) => arrow.len + (has(arrow, 'SYN') ? 1 : 0) + (has(arrow, 'FIN') ? 1 : 0);
const other = (side: Side): Side => (side === 'client' ? 'server' : 'client');

function stateOf(ladder: Ladder, index: number, side: Side): string {
  if (index < 0) return side === 'client' ? ladder.initialClientState : ladder.initialServerState;
  const arrow = ladder.arrows[index];
  return side === 'client' ? arrow.clientState : arrow.serverState;
}

/** The latest earlier segment from the peer whose end this ack reaches, if any. */
function ackedSegment(ladder: Ladder, index: number): LadderArrow | null {
  const arrow = ladder.arrows[index];
  for (let k = index - 1; k >= 0; k--) {
    const earlier = ladder.arrows[k];
    if (earlier.from === arrow.from || seqSpace(earlier) === 0) continue;
    if (((earlier.seq + seqSpace(earlier)) >>> 0) === arrow.ack) return earlier;
  }
  return null;
}

export function explainArrow(ladder: Ladder, index: number): Explanation[] {
  const arrow = ladder.arrows[index];
  if (!arrow) return [];
  const out: Explanation[] = [];
  const sender = arrow.from;
  const receiver = other(sender);
  const syn = has(arrow, 'SYN');
  const ack = has(arrow, 'ACK');
  const fin = has(arrow, 'FIN');
  const rst = has(arrow, 'RST');
  const before = (side: Side) => stateOf(ladder, index - 1, side);
  const after = (side: Side) => stateOf(ladder, index, side);
  const moved = (side: Side) => before(side) !== after(side);
  const transition = (side: Side) => `${side} ${before(side)} → ${after(side)}`;

  if (syn && !ack) {
    out.push({
      title: 'SYN: opening with an initial sequence number',
      text: `The ${sender} picks its ISN (shown as relative seq ${arrow.seq}). A SYN consumes one sequence number, so the answer must acknowledge ${arrow.seq + 1}, and the ${sender}'s first data byte will be seq ${arrow.seq + 1}.${moved(sender) ? ` The ${transition(sender)}.` : ''}`,
      section: '3.5',
    });
  } else if (syn && ack) {
    out.push({
      title: 'SYN+ACK: the second segment of the handshake',
      text: `ack ${arrow.ack} = peer seq ${(arrow.ack - 1) >>> 0} + 1: a SYN consumes one sequence number. In the same segment the ${sender} sends its own SYN with its own ISN (relative seq ${arrow.seq}).${moved(sender) ? ` The ${transition(sender)}.` : ''}`,
      section: '3.5',
    });
  }

  const tls = arrow.tls;
  if (tls?.hello === 'client') {
    const offered = (items: string[], none: string) => (items.length ? items.join(', ') : none);
    out.push({
      title: 'TLS ClientHello: the first data of the connection',
      text: `To TCP this is ordinary data: TLS can only start once the three-way handshake is done, so the ${sender}'s first bytes (from seq 1) are its ClientHello, completed in this segment (a hello larger than one segment is reassembled from several). It names the server in clear text (SNI ${tls.sni ?? 'none'}) so one address can serve many sites, and offers application protocols (ALPN ${offered(tls.alpn, 'none')}), TLS versions (${offered(tls.versions, 'none listed')}) and ${tls.ciphers.length} cipher suite${tls.ciphers.length === 1 ? '' : 's'}.`,
      section: '4.1.2',
      rfc: TLS_RFC,
    });
  } else if (tls?.hello === 'server') {
    const version = tls.versions[0] ?? 'unknown';
    const alpn = tls.alpn.length
      ? `, and the application protocol ${tls.alpn.join(', ')}`
      : version === 'TLS 1.3'
        ? '. In TLS 1.3 everything after the ServerHello is encrypted, the ALPN choice included (EncryptedExtensions), so a capture cannot show it'
        : '';
    out.push({
      title: "TLS ServerHello: the server's choices",
      text: `The ${sender} picks one version (${version}) and one cipher suite (${tls.ciphers[0] ?? 'unknown'}) from what the client offered${alpn}. For TCP these are data bytes like any others, acknowledged by seq + length.`,
      section: '4.1.3',
      rfc: TLS_RFC,
    });
  }

  const previous = index > 0 ? ladder.arrows[index - 1] : null;
  if (rst && previous && has(previous, 'SYN') && has(previous, 'ACK') && previous.from !== sender) {
    out.push({
      title: 'RST right after a SYN+ACK: the local-kernel trap',
      text: `If the SYN was crafted by hand on this host, this RST comes from the ${sender}'s own kernel: it has no socket for the connection, so it resets the peer's SYN+ACK and ends the experiment. Send from an address the kernel does not own (a test namespace), or let the helper add a temporary firewall rule that drops these outgoing RSTs (handshake send --suppress-kernel-rst).`,
      section: '3.10.7.1',
    });
  }
  if (rst) {
    const refused = index > 0 && has(ladder.arrows[index - 1], 'SYN') && !has(ladder.arrows[index - 1], 'ACK');
    out.push({
      title: refused ? 'RST: the connection is refused' : 'RST: the connection is aborted',
      text: refused
        ? `Nothing listens on the ${sender}'s port, so it answers the SYN with RST${ack ? `+ACK (ack ${arrow.ack} = the SYN's seq + 1)` : ''}. No connection exists afterwards.`
        : `An RST ends the connection at once, without the FIN exchange; data not yet delivered is lost. The receiver accepts it only if its sequence number (${arrow.seq}) lies in the receive window.`,
      section: refused ? '3.5.2' : '3.5.3',
    });
  }

  // Only an acknowledgment that moves forward says something new; a repeated ack number is not explained again.
  let repeatsAck = false;
  for (let k = index - 1; k >= 0; k--) {
    const earlier = ladder.arrows[k];
    if (earlier.from !== arrow.from) continue;
    repeatsAck = has(earlier, 'ACK') && earlier.ack === arrow.ack;
    break;
  }
  const acked = ack && !syn && !repeatsAck ? ackedSegment(ladder, index) : null;
  if (ack && !syn && !rst && index > 0) {
    const previous = ladder.arrows[index - 1];
    const completesHandshake = arrow.phase === 'handshake' && has(previous, 'SYN') && has(previous, 'ACK');
    if (completesHandshake) {
      out.push({
        title: 'ACK: the third segment completes the handshake',
        text: `seq ${arrow.seq} = own ISN + 1 and ack ${arrow.ack} = peer ISN + 1 (the third segment's seq is x+1, not y+1). Each side now knows the other received its ISN, which is why three segments are needed: two would not let the server learn its ISN arrived, and an old duplicate SYN could open a connection.${moved(sender) || moved(receiver) ? ` ${[sender, receiver].filter(moved).map(transition).join('; ')}.` : ''}`,
        section: '3.5',
      });
    } else if (acked) {
      const control = has(acked, 'FIN') ? 'FIN' : has(acked, 'SYN') ? 'SYN' : null;
      out.push({
        title: control ? `ACK of a ${control}` : 'ACK of data',
        text: control
          ? `ack ${arrow.ack} = seq ${acked.seq} + ${acked.len} byte(s) + 1 of frame ${acked.number}: a ${control} consumes one sequence number${control === 'FIN' ? ', like a SYN' : ''}.`
          : `ack ${arrow.ack} = seq ${acked.seq} + len ${acked.len} of frame ${acked.number}. The acknowledgment number is the next byte expected: seq + payload length. It is "+1" only after a SYN or a FIN.`,
        section: '3.4',
      });
    }
  }

  if (fin) {
    const activeCloser = before(receiver) !== 'FIN_WAIT_1' && before(receiver) !== 'FIN_WAIT_2' && before(receiver) !== 'CLOSING';
    out.push({
      title: activeCloser ? 'FIN: this side starts closing' : 'FIN: the other direction closes too',
      text: activeCloser
        ? `The ${sender} has no more data to send (active close). A FIN consumes one sequence number, so its ACK will be ${(arrow.seq + seqSpace(arrow)) >>> 0}. The ${sender} enters FIN_WAIT_1; the ${receiver} enters CLOSE_WAIT when it receives it and may keep sending (a half-close): each direction closes on its own, which is why a teardown takes four segments (the middle two often merge into one FIN+ACK).`
        : `The passive closer sends its FIN after CLOSE_WAIT and moves to LAST_ACK (not FIN_WAIT_1: that is the active closer's path). It waits for the final ACK of ${(arrow.seq + seqSpace(arrow)) >>> 0}.`,
      section: '3.6',
    });
  }

  for (const side of [sender, receiver]) {
    if (!moved(side)) continue;
    const state = after(side);
    if (state === 'TIME_WAIT') {
      out.push({
        title: `${side} enters TIME_WAIT`,
        text: `TIME_WAIT lasts 2×MSL (Linux: 60 s; RFC 9293's MSL is 2 minutes) so that a lost final ACK can be sent again when the peer repeats its FIN, and so that old duplicate segments die before the same 4-tuple is used again.`,
        section: '3.6',
      });
    } else if (state === 'FIN_WAIT_2') {
      out.push({ title: `${side}: FIN_WAIT_1 → FIN_WAIT_2`, text: `Its FIN was acknowledged; it now waits for the peer's FIN.`, section: '3.6' });
    } else if (state === 'CLOSE_WAIT') {
      out.push({ title: `${side} moves to CLOSE_WAIT`, text: `It received a FIN: the peer will send no more data. Its application still may send before closing.`, section: '3.6' });
    } else if (state === 'CLOSED' && before(side) === 'LAST_ACK') {
      out.push({ title: `${side}: LAST_ACK → CLOSED`, text: `The ACK of its FIN arrived; the passive closer is done (there is no "LAST_WAIT" state).`, section: '3.6' });
    } else if (state === 'CLOSING') {
      out.push({ title: `${side} enters CLOSING`, text: `Both sides sent FIN before seeing the other's ACK (simultaneous close); each goes through CLOSING to TIME_WAIT.`, section: '3.6' });
    } else if (state === 'ESTABLISHED' && !out.some((e) => e.title.startsWith('ACK: the third'))) {
      out.push({ title: `${side} is ESTABLISHED`, text: `Its SYN has been acknowledged and it has seen the peer's SYN.`, section: '3.5' });
    }
  }

  if (arrow.len > 0 && !fin && !syn) {
    out.push({
      title: `${arrow.len} byte(s) of data`,
      text: `Bytes ${arrow.seq} to ${(arrow.seq + arrow.len - 1) >>> 0} of the ${sender}'s stream (relative). The ${receiver} will acknowledge ${(arrow.seq + arrow.len) >>> 0}.`,
      section: '3.8',
    });
  }

  const notes: Record<string, Explanation> = {
    retransmission: { title: 'Retransmission', text: `This segment repeats sequence space already sent (seq ${arrow.seq}): the sender did not see an ACK in time and sent it again.`, section: '3.8.1' },
    fast_retransmission: { title: 'Fast retransmission', text: 'Sent again after duplicate ACKs signalled a loss, before the retransmission timer expired.', section: '3.8.1' },
    duplicate_ack: { title: 'Duplicate ACK', text: `Same ack ${arrow.ack}, no data, unchanged window: the receiver is missing the segment at ${arrow.ack} and says so again.`, section: '3.8' },
    keep_alive: { title: 'Keep-alive probe', text: `seq ${arrow.seq} = next expected − 1, with 0 or 1 byte: it asks the peer to answer with an ACK. Linux probes after 2 hours idle, every 75 s, up to 9 times.`, section: '3.8.4' },
    zero_window: { title: 'Zero window', text: `The ${sender} advertises window 0: its receive buffer is full, the peer must stop sending and probe.`, section: '3.8.6' },
    lost_segment: { title: 'Previous segment not captured', text: 'The sequence number jumps past bytes this capture never saw: a loss, or frames the capture missed.', section: '3.4' },
    out_of_order: { title: 'Out of order', text: 'This segment arrived after one with a higher sequence number.', section: '3.10.7.4' },
  };
  for (const name of arrow.analysis) if (notes[name]) out.push(notes[name]);

  if (!ack && !syn && !rst) {
    out.push({ title: 'ACK flag clear', text: 'Without the ACK flag the acknowledgment number field carries no meaning: the ACK flag says whether the ack number is valid.', section: '3.1' });
  }
  return out;
}
