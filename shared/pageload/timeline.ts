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
 * frames: the SYN, the SYN-ACK, the client's first TLS bytes, the client's Finished, the first
 * request and response frames of HTTP/2 (or HTTP/1.1) in the decrypted data.
 */
import type { DnsFrameMessage } from '../dns/dissector';
import type { TlsRecord } from '../tls/session';
import { Http2FrameScanner, type HttpMilestone } from './http-milestones';

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
  dns: readonly DnsFrameMessage[];
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
  kind: 'tcp';
  stream: number;
  client: string;
  server: string;
  /** The name the browser asked for: the SNI, else the DNS name that resolved to the server. */
  host: string | null;
  protocol: string | null;
  /** Why that protocol: the ALPN exchange, an HTTPS DNS record's alpn. */
  protocol_reasons: string[];
  tls: { version: string | null; decrypted: true | string | null; alpn_offered: string[]; alpn_selected: string | null } | null;
  dns: { name: string; types: string[]; query_frames: number[]; response_frames: number[]; addresses: string[]; https_alpn: string[] } | null;
  /** Each step's start and end on the wire (null: not seen). */
  steps: {
    dns: [Milestone, Milestone] | null;
    tcp: [Milestone, Milestone] | null;
    tls: [Milestone, Milestone] | null;
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
  /** How the request and response were found: HTTP/2 frames, HTTP/1.1 lines, or the first application-data records. */
  request_source: 'http2' | 'http1' | 'tls-records' | null;
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
  http: Http2FrameScanner;
  sawClientHello: boolean;
}

const SYN = 0x002;
const ACK = 0x010;
const FIN = 0x001;
const RST = 0x004;

const ms = (from: Milestone | null, to: Milestone | null): number | null => (from && to ? Math.round((to.time - from.time) * 1e6) / 1e3 : null);

export class PageLoadTimeline {
  private originSeconds = Number.NaN;
  private originNanos = 0;
  private readonly connections = new Map<number, ConnectionState>();
  private readonly lookups: DnsLookupEvent[] = [];
  private readonly openQueries = new Map<string, DnsLookupEvent>();

  /** Seconds since the first frame. */
  private time(frame: PageLoadFrame): number {
    if (Number.isNaN(this.originSeconds)) {
      this.originSeconds = frame.tsSeconds;
      this.originNanos = frame.tsNanos;
    }
    return frame.tsSeconds - this.originSeconds + (frame.tsNanos - this.originNanos) / 1e9;
  }

  get firstFrameEpoch(): string {
    if (Number.isNaN(this.originSeconds)) return '0.000000000';
    return `${this.originSeconds}.${String(this.originNanos).padStart(9, '0')}`;
  }

  frame(frame: PageLoadFrame): void {
    const at: Milestone = { frame: frame.frameNumber, time: this.time(frame) };
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
        http: new Http2FrameScanner(),
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
      if (record.appData) c.http.push(record.fromClient, record.appData, at);
    }
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

  /** One object per connection (in order of first frame), then the summary. */
  result(facts: readonly PageLoadConnectionFacts[]): { connections: PageLoadConnection[]; summary: PageLoadSummary } {
    const byStream = new Map(facts.map((f) => [f.stream, f]));
    const out: PageLoadConnection[] = [];
    const usedLookups = new Set<number>();
    for (const c of [...this.connections.values()].sort((a, b) => a.stream - b.stream)) {
      const f = byStream.get(c.stream);
      if (!f) continue;
      const notes: string[] = [];
      const serverAddress = f.server.replace(/^\[/, '').replace(/\]?:\d+$/, '');
      const start = c.syn ?? c.clientFirstPayload;
      const lookup = start ? this.lookupFor(serverAddress, f.sni, start.time) : null;
      let dnsStep: [Milestone, Milestone] | null = null;
      if (lookup && !usedLookups.has(lookup.query_frames[0])) {
        usedLookups.add(lookup.query_frames[0]);
        dnsStep = [lookup.start, lookup.end];
      } else if (lookup) {
        notes.push(`DNS: the answer for ${lookup.name} (frame ${lookup.response_frames[0]}) was already used by an earlier connection; DevTools shows no lookup for a reused answer`);
      }
      const host = f.sni ?? lookup?.name ?? null;
      const tcp: [Milestone, Milestone] | null = c.syn && c.synAck ? [c.syn, c.synAck] : null;
      if (!c.syn) notes.push('the capture starts after this connection\'s SYN: no TCP handshake timing');
      const tlsEnd = c.clientFinished ?? c.clientAfterServerHello;
      const tlsStart = c.clientFirstPayload;
      const isTls = c.sawClientHello || f.tlsVersion !== null;
      const tls: [Milestone, Milestone] | null = isTls && tlsStart && tlsEnd ? [tlsStart, tlsEnd] : null;
      if (isTls && !c.sawClientHello) notes.push('no ClientHello seen (the capture starts after it): TLS timing and decryption are not available');
      if (isTls && c.sawClientHello && !c.clientFinished && c.clientAfterServerHello) notes.push("TLS end estimated from the client's first flight after the ServerHello (its Finished could not be read)");
      if (f.decrypted !== true && f.decrypted !== null) notes.push(`not decrypted: ${f.decrypted}`);

      const milestones = c.http.milestones();
      let requestSource: PageLoadConnection['request_source'] = null;
      let request: [Milestone, Milestone] | null = null;
      let response: [Milestone, Milestone] | null = null;
      if (milestones.requestStart) {
        requestSource = milestones.kind;
        request = [milestones.requestStart, milestones.requestEnd ?? milestones.requestStart];
        if (milestones.responseStart) response = [milestones.responseStart, milestones.responseEnd ?? c.lastServerAppData ?? milestones.responseStart];
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
      const protocol = f.alpnSelected ?? (milestones.kind === 'http1' ? 'http/1.1' : milestones.kind === 'http2' ? 'h2' : isTls ? null : 'http/1.1?');
      out.push({
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
        steps: { dns: dnsStep, tcp, tls, request, response, teardown },
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
    }
    const protocols: Record<string, number> = {};
    for (const c of out) if (c.protocol) protocols[c.protocol] = (protocols[c.protocol] ?? 0) + 1;
    const starts = out.flatMap((c) => [c.steps.dns?.[0], c.steps.tcp?.[0]]).filter((m): m is Milestone => m !== undefined && m !== null);
    const ends = out.map((c) => c.steps.response?.[1]).filter((m): m is Milestone => m !== undefined && m !== null);
    const first = starts.reduce<Milestone | null>((a, b) => (a === null || b.time < a.time ? b : a), null);
    const last = ends.reduce<Milestone | null>((a, b) => (a === null || b.time > a.time ? b : a), null);
    const summaryNotes: string[] = [];
    if (out.length === 0) summaryNotes.push('no TCP connection was seen');
    return {
      connections: out,
      summary: {
        type: 'summary',
        connections: out.length,
        first_frame_epoch: this.firstFrameEpoch,
        page_load_ms: ms(first, last),
        protocols,
        dns_lookups: this.lookups.length,
        notes: summaryNotes,
      },
    };
  }
}

export type { HttpMilestone };
