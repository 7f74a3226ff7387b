/**
 * The page-load timeline: for every connection a page used, when each step of its setup
 * happened on the wire (DNS lookup, TCP handshake, TLS handshake, first request, first
 * response byte, end of that response, teardown), the durations DevTools shows for them,
 * and which protocol was negotiated and why. Fed frame by frame in capture order from the
 * pipeline's outputs (tracking, TLS records, DNS messages), so the command line and the
 * workbench draw the same timeline.
 *
 * DevTools' durations, as Chromium's Resource Timing defines them: DNS = domainLookupEnd −
 * domainLookupStart; initial connection = connectEnd − connectStart (it includes SSL); SSL =
 * connectEnd − secureConnectionStart; request sent, waiting (TTFB) = responseStart − the
 * request's end; content download = responseEnd − responseStart. Here each is read off the
 * frames: the SYN, the SYN-ACK, the client's first TLS bytes, the client's Finished, and the
 * first request and response as the HTTP dissectors (shared/http for HTTP/1.1 and HTTP/2,
 * shared/http3 through the QUIC tracker) read them.
 *
 * A QUIC connection has no TCP or separate TLS handshake: its handshake runs from the client's
 * first Initial to the client's Finished (RFC 9001 §4.1.1, the handshake complete at the client),
 * where Chromium puts connectEnd; the server's HANDSHAKE_DONE (the handshake confirmed, §4.1.2)
 * is a note. On the wire that one interval is both DevTools' initial connection and SSL; Chromium
 * stamps connectStart before it sets the connection up, secureConnectionStart as it sends the
 * first Initial.
 */
import type { DnsFrameMessage } from '../dns/dissector';
import type { HttpFrameResult } from '../http/dissector';
import { headerValue, type HttpHeaderField } from '../http/message';
import type { QuicPacketInfo } from '../quic/analyze';
import type { TlsRecord } from '../tls/session';

export interface PageLoadFrame {
  frameNumber: number;
  tsSeconds: number;
  tsNanos: number;
  /** The tracker's tcp.stream, or -1 for a frame that is not on a tracked TCP connection. */
  stream: number;
  fromClient: boolean;
  /** TCP flags (the 12-bit field). */
  tcpFlags: number;
  payloadLength: number;
  tlsRecords: readonly TlsRecord[];
  /** What the HTTP dissector read in this frame (cleartext or decrypted), or null. */
  http: HttpFrameResult | null;
  dns: readonly DnsFrameMessage[];
}

/** One UDP datagram's QUIC packets, as the QUIC attempt tracker read them. */
export interface PageLoadQuicDatagram {
  frameNumber: number;
  tsSeconds: number;
  tsNanos: number;
  /** Endpoints in the tracker's form ("198.18.0.1:443", "[2001:db8::1]:443"). */
  source: string;
  destination: string;
  packets: readonly QuicPacketInfo[];
}

/** What the QUIC tracker knows of an attempt at the end. */
export interface PageLoadQuicFacts {
  id: number;
  client: string;
  server: string;
  firstFrame: number;
  lastFrame: number;
  sni: string | null;
  alpnOffered: readonly string[];
  alpnSelected: string | null;
  /** true, or why its Handshake/1-RTT packets were not decrypted (null: none seen). */
  decrypted: true | string | null;
}

/** What the tracker and the TLS dissector know of a connection at the end. */
export interface PageLoadConnectionFacts {
  stream: number;
  client: string;
  server: string;
  sni: string | null;
  alpnOffered: readonly string[];
  alpnSelected: string | null;
  tlsVersion: string | null;
  /** true, or why the connection's TLS was not decrypted (null: no protected record). */
  decrypted: true | string | null;
}

export interface Milestone {
  frame: number;
  /** Seconds since the first frame of the capture. */
  time: number;
}

export interface PageLoadConnection {
  type: 'connection';
  kind: 'tcp' | 'quic';
  /** tcp.stream, or the QUIC attempt's number (`analyze`'s quic id). */
  stream: number;
  client: string;
  server: string;
  /** The name the browser asked for: the SNI, else the DNS name that resolved to the server. */
  host: string | null;
  protocol: string | null;
  /** Why that protocol: the ALPN exchange, an Alt-Svc header on an earlier response, an HTTPS DNS record's alpn. */
  protocol_reasons: string[];
  tls: { version: string | null; decrypted: true | string | null; alpn_offered: string[]; alpn_selected: string | null } | null;
  dns: { name: string; types: string[]; query_frames: number[]; response_frames: number[]; addresses: string[]; https_alpn: string[] } | null;
  /** Each step's start and end on the wire (null: not seen). */
  steps: {
    dns: [Milestone, Milestone] | null;
    tcp: [Milestone, Milestone] | null;
    tls: [Milestone, Milestone] | null;
    /** QUIC: the client's first Initial to the server's HANDSHAKE_DONE. */
    quic: [Milestone, Milestone] | null;
    request: [Milestone, Milestone] | null;
    response: [Milestone, Milestone] | null;
    teardown: [Milestone, Milestone] | null;
  };
  /** DevTools' durations, in milliseconds (null: not measurable from this capture). */
  durations_ms: {
    dns: number | null;
    initial_connection: number | null;
    ssl: number | null;
    request_sent: number | null;
    waiting: number | null;
    content_download: number | null;
    teardown: number | null;
  };
  /** How the request and response were found: HTTP/2 or HTTP/3 frames, HTTP/1.1 messages, or the first application-data records. */
  request_source: 'http2' | 'http1' | 'http3' | 'tls-records' | null;
  notes: string[];
}

export interface PageLoadSummary {
  type: 'summary';
  connections: number;
  /** Epoch seconds of the capture's first frame: every `time` counts from here. */
  first_frame_epoch: string;
  /** From the first DNS query (or SYN) to the last response's end, in milliseconds. */
  page_load_ms: number | null;
  protocols: Record<string, number>;
  dns_lookups: number;
  notes: string[];
}

interface DnsLookupEvent {
  name: string;
  type: number;
  queryFrame: number;
  queryTime: number;
  responseFrame: number | null;
  responseTime: number | null;
  addresses: string[];
  httpsAlpn: string[];
}

/** The first request of a connection and its response, as the HTTP dissectors saw them go by. */
interface FirstExchange {
  kind: 'http2' | 'http1' | 'http3' | null;
  /** HTTP/2 and HTTP/3: the request's stream id. */
  streamId: number;
  requestStart: Milestone | null;
  requestEnd: Milestone | null;
  /** The request was sent whole (END_STREAM, FIN, or the HTTP/1.1 message complete). */
  requestDone: boolean;
  responseStart: Milestone | null;
  responseEnd: Milestone | null;
  done: boolean;
}

const newExchange = (): FirstExchange => ({ kind: null, streamId: -1, requestStart: null, requestEnd: null, requestDone: false, responseStart: null, responseEnd: null, done: false });

interface ConnectionState {
  stream: number;
  syn: Milestone | null;
  synAck: Milestone | null;
  clientFirstPayload: Milestone | null;
  serverHello: Milestone | null;
  clientFinished: Milestone | null;
  /** The first client frame with payload after the ServerHello: the handshake's end when Finished cannot be read. */
  clientAfterServerHello: Milestone | null;
  firstClientAppData: Milestone | null;
  firstServerAppData: Milestone | null;
  lastServerAppData: Milestone | null;
  teardownStart: Milestone | null;
  last: Milestone | null;
  exchange: FirstExchange;
  /** The first request's :authority or Host. */
  authority: string | null;
  sawClientHello: boolean;
}

interface QuicState {
  client: string | null;
  events: Array<{ at: Milestone; source: string; packets: readonly QuicPacketInfo[] }>;
}

/** An Alt-Svc header on a response (RFC 7838), with where it was seen. */
interface AltSvcEvent {
  stream: number;
  authority: string | null;
  value: string;
  at: Milestone;
}

const SYN = 0x002;
const ACK = 0x010;
const FIN = 0x001;
const RST = 0x004;
const HTTP2_HEADERS = 0x1;
const HTTP2_CONTINUATION = 0x9;
const HTTP2_DATA = 0x0;
const HTTP2_END_STREAM = 0x1;
const HTTP3_HEADERS = 0x1;
/** QUIC events kept per 4-tuple: the page-load steps are all near its start and its end. */
const MAX_QUIC_EVENTS = 100_000;
const MAX_ALT_SVC = 1000;

const ms = (from: Milestone | null, to: Milestone | null): number | null => (from && to ? Math.round((to.time - from.time) * 1e6) / 1e3 : null);
const hostOf = (authority: string | null) => (authority ? authority.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase() : null);
const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
const addressOf = (endpoint: string) => endpoint.replace(/^\[/, '').replace(/\]?:\d+$/, '');

/** Alt-Svc alternatives offering HTTP/3 on `port` (`h3=":443"`, `h3=":443"; ma=86400, h3-29=…`): the first matching one as written. */
export function altSvcH3(value: string, host: string | null, port: number): string | null {
  for (const part of value.split(',')) {
    const m = /^\s*(h3(?:-\d+)?)\s*=\s*"([^"]*)"/.exec(part);
    if (!m) continue;
    const colon = m[2].lastIndexOf(':');
    const altHost = m[2].slice(0, colon).toLowerCase();
    if (Number(m[2].slice(colon + 1)) !== port) continue;
    if (altHost !== '' && host !== null && altHost !== host) continue;
    return part.trim();
  }
  return null;
}

export class PageLoadTimeline {
  private originSeconds = Number.NaN;
  private originNanos = 0;
  private readonly connections = new Map<number, ConnectionState>();
  private readonly lookups: DnsLookupEvent[] = [];
  private readonly openQueries = new Map<string, DnsLookupEvent>();
  private readonly quicTuples = new Map<string, QuicState>();
  private readonly altSvc: AltSvcEvent[] = [];

  /** Seconds since the first frame. */
  private time(tsSeconds: number, tsNanos: number): number {
    if (Number.isNaN(this.originSeconds)) {
      this.originSeconds = tsSeconds;
      this.originNanos = tsNanos;
    }
    return tsSeconds - this.originSeconds + (tsNanos - this.originNanos) / 1e9;
  }

  get firstFrameEpoch(): string {
    if (Number.isNaN(this.originSeconds)) return '0.000000000';
    return `${this.originSeconds}.${String(this.originNanos).padStart(9, '0')}`;
  }

  frame(frame: PageLoadFrame): void {
    const at: Milestone = { frame: frame.frameNumber, time: this.time(frame.tsSeconds, frame.tsNanos) };
    for (const entry of frame.dns) this.dnsMessage(entry, at);
    if (frame.stream < 0) return;
    let c = this.connections.get(frame.stream);
    if (!c) {
      c = {
        stream: frame.stream,
        syn: null,
        synAck: null,
        clientFirstPayload: null,
        serverHello: null,
        clientFinished: null,
        clientAfterServerHello: null,
        firstClientAppData: null,
        firstServerAppData: null,
        lastServerAppData: null,
        teardownStart: null,
        last: null,
        exchange: newExchange(),
        authority: null,
        sawClientHello: false,
      };
      this.connections.set(frame.stream, c);
    }
    c.last = at;
    const flags = frame.tcpFlags;
    if (frame.fromClient && flags & SYN && !(flags & ACK)) c.syn ??= at;
    if (!frame.fromClient && flags & SYN && flags & ACK) c.synAck ??= at;
    if (flags & (FIN | RST)) c.teardownStart ??= at;
    if (frame.payloadLength > 0 && frame.fromClient) {
      c.clientFirstPayload ??= at;
      if (c.serverHello && !c.clientAfterServerHello && at.frame > c.serverHello.frame) c.clientAfterServerHello = at;
    }
    for (const record of frame.tlsRecords) {
      for (const message of record.handshakes) {
        if (message.type === 1 && record.fromClient) c.sawClientHello = true;
        if (message.type === 2 && !record.fromClient) c.serverHello ??= at;
        if (message.type === 20 && record.fromClient) c.clientFinished ??= at;
      }
      const isAppData = record.decrypted ? record.contentType === 23 : record.opaqueType === 23 && (!record.innerType || (record.fromClient ? c.clientAfterServerHello !== null && at.frame > c.clientAfterServerHello.frame : c.firstClientAppData !== null));
      if (!isAppData) continue;
      if (record.fromClient) c.firstClientAppData ??= at;
      else {
        c.firstServerAppData ??= at;
        c.lastServerAppData = at;
      }
    }
    if (frame.http) this.http(c, frame.fromClient, frame.http, at);
  }

  /** The first request and its response, from what the HTTP dissector completed in this frame. */
  private http(c: ConnectionState, fromClient: boolean, result: HttpFrameResult, at: Milestone): void {
    const x = c.exchange;
    if (result.protocol === 'http1' && !x.done && (x.kind === null || x.kind === 'http1')) {
      // A message's bytes may span frames: the first frame carrying them starts it.
      x.kind = 'http1';
      if (fromClient && x.requestStart === null) x.requestStart = x.requestEnd = at;
      else if (fromClient && !x.requestDone) x.requestEnd = at;
      else if (!fromClient && x.requestStart !== null) {
        x.responseStart ??= at;
        x.responseEnd = at;
      }
    }
    for (const message of result.http1) {
      if (message.kind === 'response') this.noteAltSvc(c, message.headers, at);
      if (message.kind === 'request') c.authority ??= message.authority;
      if (x.done || x.kind !== 'http1') continue;
      if (message.kind === 'request' && message.fromClient && !x.requestDone) x.requestDone = true;
      // 1xx responses are interim: the exchange ends with the final one.
      else if (message.kind === 'response' && !message.fromClient && x.requestStart && message.status !== null && message.status >= 200) x.done = true;
    }
    for (const item of result.http2) {
      if (item.kind !== 'frame') continue;
      const f = item.frame;
      if (f.message?.kind === 'response') this.noteAltSvc(c, f.message.headers, at);
      if (x.done || (x.kind !== null && x.kind !== 'http2')) continue;
      if (fromClient) {
        if (f.type === HTTP2_HEADERS && f.message?.kind === 'request' && x.streamId < 0) {
          x.kind = 'http2';
          x.streamId = f.streamId;
          c.authority ??= f.message.authority;
          x.requestStart = x.requestEnd = at;
          if (f.flags & HTTP2_END_STREAM) x.requestDone = true;
        } else if (f.streamId === x.streamId && !x.requestDone && (f.type === HTTP2_CONTINUATION || f.type === HTTP2_DATA)) {
          x.requestEnd = at;
          if (f.flags & HTTP2_END_STREAM) x.requestDone = true;
        }
      } else if (f.streamId === x.streamId && x.streamId >= 0 && (f.type === HTTP2_HEADERS || f.type === HTTP2_DATA || f.type === HTTP2_CONTINUATION)) {
        x.responseStart ??= at;
        x.responseEnd = at;
        if (f.flags & HTTP2_END_STREAM && f.type !== HTTP2_CONTINUATION) x.done = true;
      }
    }
  }

  private noteAltSvc(c: ConnectionState, headers: readonly HttpHeaderField[], at: Milestone): void {
    const value = headerValue(headers, 'alt-svc');
    if (value && this.altSvc.length < MAX_ALT_SVC) this.altSvc.push({ stream: c.stream, authority: c.authority, value, at });
  }

  /** A UDP datagram's QUIC packets (from the QUIC attempt tracker), in capture order. */
  quicDatagram(datagram: PageLoadQuicDatagram): void {
    if (datagram.packets.length === 0) return;
    const at: Milestone = { frame: datagram.frameNumber, time: this.time(datagram.tsSeconds, datagram.tsNanos) };
    const key = [datagram.source, datagram.destination].sort().join(' ');
    let state = this.quicTuples.get(key);
    if (!state) {
      state = { client: null, events: [] };
      this.quicTuples.set(key, state);
    }
    if (state.events.length >= MAX_QUIC_EVENTS) return;
    // Only what the steps need: no CRYPTO or STREAM bytes.
    state.events.push({ at, source: datagram.source, packets: datagram.packets.map((p) => ({ ...p, crypto: [], streams: [] })) });
  }

  private dnsMessage(entry: DnsFrameMessage, at: Milestone): void {
    const m = entry.message;
    const question = m.questions[0];
    if (!question) return;
    const key = `${m.id}|${entry.client}|${entry.server}`;
    if (!m.response) {
      const lookup: DnsLookupEvent = { name: question.name.toLowerCase(), type: question.type, queryFrame: at.frame, queryTime: at.time, responseFrame: null, responseTime: null, addresses: [], httpsAlpn: [] };
      this.lookups.push(lookup);
      this.openQueries.set(key, lookup);
      return;
    }
    const lookup = this.openQueries.get(key);
    if (!lookup || lookup.responseFrame !== null) return;
    lookup.responseFrame = at.frame;
    lookup.responseTime = at.time;
    for (const record of m.records) {
      if (record.section !== 'answer') continue;
      if (record.address) lookup.addresses.push(record.address);
      for (const param of record.svcb?.params ?? []) lookup.httpsAlpn.push(...(param.alpn ?? []));
    }
  }

  /** The lookup that gave `address` before `before` (the SYN): the name's A/AAAA/HTTPS queries of that burst. */
  private lookupFor(address: string, host: string | null, before: number): PageLoadConnection['dns'] & { start: Milestone; end: Milestone } | null {
    const answered = this.lookups.filter((l) => l.responseTime !== null && l.responseTime <= before && (host ? l.name === host.toLowerCase() : l.addresses.includes(address)));
    const giving = answered.filter((l) => l.addresses.includes(address));
    const chosen = giving[giving.length - 1] ?? answered[answered.length - 1];
    if (!chosen) return null;
    // The burst: this name's queries sent within a second before the chosen answer, answered before the SYN.
    const burst = answered.filter((l) => l.name === chosen.name && l.queryTime >= (chosen.responseTime ?? 0) - 1 && l.queryTime <= (chosen.responseTime ?? 0));
    const first = burst.reduce((a, b) => (b.queryTime < a.queryTime ? b : a));
    const last = burst.reduce((a, b) => ((b.responseTime ?? 0) > (a.responseTime ?? 0) ? b : a));
    const typeName = (t: number) => (t === 1 ? 'A' : t === 28 ? 'AAAA' : t === 65 ? 'HTTPS' : t === 64 ? 'SVCB' : String(t));
    return {
      name: chosen.name,
      types: [...new Set(burst.map((l) => typeName(l.type)))],
      query_frames: burst.map((l) => l.queryFrame),
      response_frames: burst.map((l) => l.responseFrame ?? 0),
      addresses: [...new Set(burst.flatMap((l) => l.addresses))],
      https_alpn: [...new Set(burst.flatMap((l) => l.httpsAlpn))],
      start: { frame: first.queryFrame, time: first.queryTime },
      end: { frame: last.responseFrame ?? 0, time: last.responseTime ?? 0 },
    };
  }

  /** The DNS step of a connection starting at `start`: the lookup, or a note why none is shown. */
  private dnsStep(serverAddress: string, host: string | null, start: Milestone | null, used: Set<number>, notes: string[]) {
    const lookup = start ? this.lookupFor(serverAddress, host, start.time) : null;
    let step: [Milestone, Milestone] | null = null;
    if (lookup && !used.has(lookup.query_frames[0])) {
      used.add(lookup.query_frames[0]);
      step = [lookup.start, lookup.end];
    } else if (lookup) {
      notes.push(`DNS: the answer for ${lookup.name} (frame ${lookup.response_frames[0]}) was already used by an earlier connection; DevTools shows no lookup for a reused answer`);
    }
    return { lookup, step };
  }

  /** Why the browser chose HTTP/3 for `host`:`port` before `before`: an Alt-Svc header it saw (the last one). */
  private altSvcReason(host: string | null, hostStreams: (stream: number) => string | null, port: number, before: number): string | null {
    for (let i = this.altSvc.length - 1; i >= 0; i--) {
      const event = this.altSvc[i];
      if (event.at.time > before) continue;
      const origin = hostOf(event.authority) ?? hostStreams(event.stream);
      if (host !== null && origin !== null && origin !== host) continue;
      const alternative = altSvcH3(event.value, host, port);
      if (alternative) return `Alt-Svc: ${alternative} on the response in frame ${event.at.frame} (tcp.stream ${event.stream}${origin ? `, ${origin}` : ''})`;
    }
    return null;
  }

  /** One object per connection and QUIC attempt (in order of their first frame), then the summary. */
  result(facts: readonly PageLoadConnectionFacts[], quicFacts: readonly PageLoadQuicFacts[] = []): { connections: PageLoadConnection[]; summary: PageLoadSummary } {
    const byStream = new Map(facts.map((f) => [f.stream, f]));
    const streamHost = (stream: number) => {
      const f = byStream.get(stream);
      return f?.sni?.toLowerCase() ?? hostOf(this.connections.get(stream)?.authority ?? null);
    };
    const out: Array<PageLoadConnection & { first: number }> = [];
    const usedLookups = new Set<number>();
    // Built in order of their first frame, so that a DNS answer goes to the connection that used it
    // first: Chromium races a TCP connection against the QUIC one an HTTPS record or Alt-Svc asked for.
    const pending: Array<{ first: number; build: () => void }> = [];
    for (const c of [...this.connections.values()].sort((a, b) => a.stream - b.stream)) {
      const f = byStream.get(c.stream);
      if (!f) continue;
      pending.push({ first: c.syn?.frame ?? c.clientFirstPayload?.frame ?? c.last?.frame ?? 0, build: () => {
        const notes: string[] = [];
        const start = c.syn ?? c.clientFirstPayload;
        const { lookup, step: dnsStep } = this.dnsStep(addressOf(f.server), f.sni ?? hostOf(c.authority), start, usedLookups, notes);
        const host = f.sni ?? lookup?.name ?? hostOf(c.authority);
        const tcp: [Milestone, Milestone] | null = c.syn && c.synAck ? [c.syn, c.synAck] : null;
        if (!c.syn) notes.push('the capture starts after this connection\'s SYN: no TCP handshake timing');
        const tlsEnd = c.clientFinished ?? c.clientAfterServerHello;
        const tlsStart = c.clientFirstPayload;
        const isTls = c.sawClientHello || f.tlsVersion !== null;
        const tls: [Milestone, Milestone] | null = isTls && tlsStart && tlsEnd ? [tlsStart, tlsEnd] : null;
        if (isTls && !c.sawClientHello) notes.push('no ClientHello seen (the capture starts after it): TLS timing and decryption are not available');
        if (isTls && c.sawClientHello && !c.clientFinished && c.clientAfterServerHello) notes.push("TLS end estimated from the client's first flight after the ServerHello (its Finished could not be read)");
        if (f.decrypted !== true && f.decrypted !== null) notes.push(`not decrypted: ${f.decrypted}`);

        const x = c.exchange;
        let requestSource: PageLoadConnection['request_source'] = null;
        let request: [Milestone, Milestone] | null = null;
        let response: [Milestone, Milestone] | null = null;
        if (x.requestStart) {
          requestSource = x.kind;
          request = [x.requestStart, x.requestEnd ?? x.requestStart];
          if (x.responseStart) response = [x.responseStart, x.responseEnd ?? x.responseStart];
        } else if (c.firstClientAppData) {
          requestSource = 'tls-records';
          request = [c.firstClientAppData, c.firstClientAppData];
          const firstResponse = c.firstServerAppData && c.firstServerAppData.time >= c.firstClientAppData.time ? c.firstServerAppData : null;
          if (firstResponse) response = [firstResponse, c.lastServerAppData ?? firstResponse];
          notes.push('request and response found from the first application-data records (no decrypted HTTP): timing is approximate');
        }
        const teardown: [Milestone, Milestone] | null = c.teardownStart && c.last ? [c.teardownStart, c.last] : null;
        const connectEnd = isTls ? tls?.[1] ?? null : tcp?.[1] ?? null;
        const reasons: string[] = [];
        if (f.alpnSelected) reasons.push(`ALPN: the server selected ${f.alpnSelected}${f.alpnOffered.length ? ` from the client's ${f.alpnOffered.join(', ')}` : ''}`);
        else if (isTls && f.alpnOffered.length) reasons.push(f.decrypted === true ? `ALPN: the client offered ${f.alpnOffered.join(', ')}; the server selected none` : `ALPN: the client offered ${f.alpnOffered.join(', ')}; the server's choice is encrypted (no keys)`);
        if (lookup && lookup.https_alpn.length) reasons.push(`HTTPS DNS record for ${lookup.name}: alpn ${lookup.https_alpn.join(', ')}`);
        const protocol = f.alpnSelected ?? (x.kind === 'http1' ? 'http/1.1' : x.kind === 'http2' ? 'h2' : null);
        out.push({
          first: c.syn?.frame ?? c.last?.frame ?? 0,
          type: 'connection',
          kind: 'tcp',
          stream: c.stream,
          client: f.client,
          server: f.server,
          host,
          protocol,
          protocol_reasons: reasons,
          tls: isTls ? { version: f.tlsVersion, decrypted: f.decrypted, alpn_offered: [...f.alpnOffered], alpn_selected: f.alpnSelected } : null,
          dns: lookup && dnsStep ? { name: lookup.name, types: lookup.types, query_frames: lookup.query_frames, response_frames: lookup.response_frames, addresses: lookup.addresses, https_alpn: lookup.https_alpn } : null,
          steps: { dns: dnsStep, tcp, tls, quic: null, request, response, teardown },
          durations_ms: {
            dns: dnsStep ? ms(dnsStep[0], dnsStep[1]) : null,
            initial_connection: ms(c.syn, connectEnd),
            ssl: tls ? ms(tls[0], tls[1]) : null,
            request_sent: request ? ms(request[0], request[1]) : null,
            waiting: request && response ? ms(request[1], response[0]) : null,
            content_download: response ? ms(response[0], response[1]) : null,
            teardown: teardown ? ms(teardown[0], teardown[1]) : null,
          },
          request_source: requestSource,
          notes,
        });
      } });
    }
    for (const q of quicFacts) {
      pending.push({ first: q.firstFrame, build: () => {
        const connection = this.quicConnection(q, usedLookups, streamHost);
        if (connection) out.push(connection);
      } });
    }
    for (const p of pending.sort((a, b) => a.first - b.first)) p.build();
    out.sort((a, b) => a.first - b.first);
    const connections: PageLoadConnection[] = out.map(({ first, ...c }) => (void first, c));
    const protocols: Record<string, number> = {};
    for (const c of connections) if (c.protocol) protocols[c.protocol] = (protocols[c.protocol] ?? 0) + 1;
    const starts = connections.flatMap((c) => [c.steps.dns?.[0], c.steps.tcp?.[0], c.steps.quic?.[0]]).filter((m): m is Milestone => m !== undefined && m !== null);
    const ends = connections.map((c) => c.steps.response?.[1]).filter((m): m is Milestone => m !== undefined && m !== null);
    const first = starts.reduce<Milestone | null>((a, b) => (a === null || b.time < a.time ? b : a), null);
    const last = ends.reduce<Milestone | null>((a, b) => (a === null || b.time > a.time ? b : a), null);
    const summaryNotes: string[] = [];
    if (connections.length === 0) summaryNotes.push('no TCP connection or QUIC attempt was seen');
    return {
      connections,
      summary: {
        type: 'summary',
        connections: connections.length,
        first_frame_epoch: this.firstFrameEpoch,
        page_load_ms: ms(first, last),
        protocols,
        dns_lookups: this.lookups.length,
        notes: summaryNotes,
      },
    };
  }

  /** A QUIC attempt's row: handshake, first HTTP/3 request and response, teardown, and why HTTP/3. */
  private quicConnection(q: PageLoadQuicFacts, usedLookups: Set<number>, streamHost: (stream: number) => string | null): (PageLoadConnection & { first: number }) | null {
    const state = this.quicTuples.get([q.client, q.server].sort().join(' '));
    const events = (state?.events ?? []).filter((e) => e.at.frame >= q.firstFrame && e.at.frame <= q.lastFrame);
    if (events.length === 0) return null;
    const notes: string[] = [];
    const fromClient = (e: (typeof events)[number]) => e.source === q.client;
    const start = events.find((e) => fromClient(e) && e.packets.some((p) => p.type === 'initial'))?.at ?? null;
    if (!start) notes.push("no client Initial seen (the capture starts after it): no handshake timing");
    const handshakeDone = events.find((e) => !fromClient(e) && e.packets.some((p) => p.frames.some((f) => f.type === 'handshake-done')))?.at ?? null;
    const clientFinished = events.find((e) => fromClient(e) && e.packets.some((p) => p.handshakes.some((h) => h.type === 20)))?.at ?? null;
    const closeEvent = events.find((e) => e.packets.some((p) => p.frames.some((f) => f.type === 'connection-close')));
    const closeFrame = closeEvent?.packets.flatMap((p) => p.frames).find((f) => f.type === 'connection-close');
    const completed = handshakeDone ?? clientFinished;
    const closedEarly = closeEvent !== undefined && (completed === null || closeEvent.at.frame < completed.frame);
    if (closeEvent && closeFrame?.type === 'connection-close') {
      // CRYPTO_ERROR is 0x100 + the TLS alert (RFC 9001 §4.8).
      const alert = closeFrame.application || closeFrame.errorCode < 0x100 || closeFrame.errorCode > 0x1ff ? '' : ` (TLS alert ${closeFrame.errorCode - 0x100})`;
      const kind = closeFrame.application ? 'application error' : 'error';
      notes.push(`CONNECTION_CLOSE from the ${fromClient(closeEvent) ? 'client' : 'server'} in frame ${closeEvent.at.frame}${closedEarly ? ', during the handshake' : ''}: ${kind} 0x${closeFrame.errorCode.toString(16)}${alert}${closeFrame.reason ? `: ${closeFrame.reason}` : ''}`);
    }
    // Chromium's connectEnd is its handshake completing, as it sends its Finished (measured within
    // 0.3 ms of that packet); the server's HANDSHAKE_DONE comes a round trip later, often with the response.
    let handshakeEnd = closedEarly ? null : clientFinished;
    if (!clientFinished && handshakeDone && !closedEarly) {
      handshakeEnd = handshakeDone;
      notes.push("the client's Finished was not seen: the handshake's end is the server's HANDSHAKE_DONE");
    } else if (!clientFinished && !closedEarly) {
      notes.push(q.decrypted === true ? "no client Finished seen: the handshake did not complete in this capture" : "the handshake's end is in Handshake packets, which were not decrypted");
    }
    if (handshakeDone && handshakeEnd && handshakeDone !== handshakeEnd) notes.push(`handshake confirmed by the server's HANDSHAKE_DONE in frame ${handshakeDone.frame}`);
    const quic: [Milestone, Milestone] | null = start && handshakeEnd ? [start, handshakeEnd] : null;
    if (q.decrypted !== true && q.decrypted !== null) notes.push(`not decrypted: ${q.decrypted}`);

    // The first request: the client's first HEADERS on a client-initiated bidirectional stream (RFC 9114 §6.1).
    let streamId = -1;
    let requestStart: Milestone | null = null;
    let requestEnd: Milestone | null = null;
    let requestDone = false;
    let responseStart: Milestone | null = null;
    let responseEnd: Milestone | null = null;
    for (const e of events) {
      for (const p of e.packets) {
        for (const h of p.http3) {
          if (h.kind !== 'frame') continue;
          if (h.side === 'client' && streamId < 0 && h.frameType === HTTP3_HEADERS && h.streamId % 4 === 0) {
            streamId = h.streamId;
            requestStart = e.at;
            // A resumed connection's request can leave before the handshake completes (RFC 9001 §4.6.1).
            if (p.type === '0-rtt') notes.push(`the request was sent in 0-RTT (frame ${e.at.frame}), before the handshake completed: a resumed connection`);
          }
          if (h.streamId !== streamId) continue;
          if (h.side === 'client' && !requestDone) requestEnd = e.at;
          if (h.side === 'server') {
            responseStart ??= e.at;
            responseEnd = e.at;
          }
        }
        if (streamId < 0) continue;
        for (const f of p.frames) {
          if (f.type !== 'stream' || f.streamId !== streamId || !f.fin) continue;
          if (fromClient(e)) {
            requestDone = true;
            requestEnd ??= e.at;
          } else if (responseStart) responseEnd = e.at;
        }
      }
    }
    const request: [Milestone, Milestone] | null = requestStart ? [requestStart, requestEnd ?? requestStart] : null;
    const response: [Milestone, Milestone] | null = responseStart ? [responseStart, responseEnd ?? responseStart] : null;
    if (!request && q.decrypted === true) notes.push('no HTTP/3 request seen on this connection');
    const teardown: [Milestone, Milestone] | null = closeEvent ? [closeEvent.at, events[events.length - 1].at] : null;

    const host = q.sni?.toLowerCase() ?? null;
    const { lookup, step: dnsStep } = this.dnsStep(addressOf(q.server), host, start ?? events[0].at, usedLookups, notes);
    const reasons: string[] = [];
    if (q.alpnSelected) reasons.push(`ALPN: the server selected ${q.alpnSelected}${q.alpnOffered.length ? ` from the client's ${q.alpnOffered.join(', ')}` : ''}`);
    else if (q.alpnOffered.length) reasons.push(`ALPN: the client offered ${q.alpnOffered.join(', ')}; the server's choice is encrypted${q.decrypted === true ? '' : ' (no keys)'}`);
    const altSvc = this.altSvcReason(host, streamHost, portOf(q.server), (start ?? events[0].at).time);
    if (altSvc) reasons.push(altSvc);
    if (lookup && lookup.https_alpn.length) reasons.push(`HTTPS DNS record for ${lookup.name}: alpn ${lookup.https_alpn.join(', ')}`);
    if (!altSvc && !(lookup && lookup.https_alpn.some((a) => a.startsWith('h3')))) reasons.push('QUIC without an Alt-Svc header or HTTPS record in this capture: the browser knew it from an earlier visit (its Alt-Svc cache) or was told to (e.g. --origin-to-force-quic-on)');
    // An attempt closed before its handshake completed carried no HTTP/3: the browser fell back (or gave up).
    const protocol = closedEarly && !request ? null : (q.alpnSelected ?? (request ? 'h3' : null));
    if (closedEarly && !request) notes.push('this QUIC attempt failed: no HTTP/3 was exchanged on it');
    return {
      first: start?.frame ?? events[0].at.frame,
      type: 'connection',
      kind: 'quic',
      stream: q.id,
      client: q.client,
      server: q.server,
      host: host ?? lookup?.name ?? null,
      protocol,
      protocol_reasons: reasons,
      tls: { version: 'TLS 1.3', decrypted: q.decrypted, alpn_offered: [...q.alpnOffered], alpn_selected: q.alpnSelected },
      dns: lookup && dnsStep ? { name: lookup.name, types: lookup.types, query_frames: lookup.query_frames, response_frames: lookup.response_frames, addresses: lookup.addresses, https_alpn: lookup.https_alpn } : null,
      steps: { dns: dnsStep, tcp: null, tls: null, quic, request, response, teardown },
      durations_ms: {
        dns: dnsStep ? ms(dnsStep[0], dnsStep[1]) : null,
        // Chromium reports QUIC's connectStart = secureConnectionStart: both are the one handshake.
        initial_connection: quic ? ms(quic[0], quic[1]) : null,
        ssl: quic ? ms(quic[0], quic[1]) : null,
        request_sent: request ? ms(request[0], request[1]) : null,
        waiting: request && response ? ms(request[1], response[0]) : null,
        content_download: response ? ms(response[0], response[1]) : null,
        teardown: teardown ? ms(teardown[0], teardown[1]) : null,
      },
      request_source: request ? 'http3' : null,
      notes,
    };
  }
}
