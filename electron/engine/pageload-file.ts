/**
 * The page-load timeline of a capture file: every frame through the pipeline's fast path
 * (tracking, TLS with the file's own secrets and an optional key log, HTTP, DNS) and every UDP
 * datagram through the QUIC attempt tracker (Handshake/1-RTT with the same secrets, HTTP/3),
 * fed to shared/pageload in capture order. Used by `handshake browse` and the workbench's Page load view.
 */
import { renameSync } from 'node:fs';
import { convertCaptureFile, readCaptureFile } from './capture-file';
import { SecretsType } from '../../shared/files';
import { decodeUtf8 } from '../../shared/files/utf8';
import { FramePipeline } from '../../shared/pipeline/frame-pipeline';
import { PageLoadTimeline, type PageLoadConnection, type PageLoadConnectionFacts, type PageLoadQuicDatagram, type PageLoadQuicFacts, type PageLoadSummary } from '../../shared/pageload';
import { tlsVersionName } from '../../shared/track/tls';
import { KeyLog, TlsDissector } from '../../shared/tls';
import { HttpDissector } from '../../shared/http';
import { QuicAttemptTracker } from '../../shared/quic';
import { formatEndpoint } from '../../shared/track/tracker';
import { createNodeTlsCrypto } from './tls-crypto';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from './quic-crypto';

const bracket = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** `keyLog` adds to the file's own Decryption Secrets Blocks (two passes: every block applies to every frame). */
export async function pageLoadFromFile(file: string, keyLog: KeyLog = new KeyLog()): Promise<{ connections: PageLoadConnection[]; summary: PageLoadSummary }> {
  await readCaptureFile(file, {
    onSecrets(type, data) {
      if (type === SecretsType.TlsKeyLog) keyLog.merge(KeyLog.parse(decodeUtf8(data, 0, data.length)));
    },
    onFrame() {},
  });
  const dissector = new TlsDissector(createNodeTlsCrypto(), keyLog);
  const pipeline = new FramePipeline({}, dissector);
  pipeline.http = new HttpDissector();
  const quic = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
  const timeline = new PageLoadTimeline();
  const quicDatagrams: PageLoadQuicDatagram[] = [];
  await readCaptureFile(file, {
    onFrame(frame) {
      const analysis = pipeline.track(frame);
      const summary = pipeline.lastSummary;
      if (summary.protocol === 17) {
        const source = formatEndpoint(summary.ipVersion, summary.srcWords, 0, summary.srcPort);
        const destination = formatEndpoint(summary.ipVersion, summary.dstWords, 0, summary.dstPort);
        const { frameNumber, tsSeconds, tsNanos } = frame;
        // Analyzed asynchronously, in order; the datagrams join the timeline once all are read.
        quic.queueFrame(frameNumber, tsSeconds, tsNanos, summary, pipeline.lastSummaryBytes, (packets) => quicDatagrams.push({ frameNumber, tsSeconds, tsNanos, source, destination, packets }));
      }
      timeline.frame({
        frameNumber: frame.frameNumber,
        tsSeconds: frame.tsSeconds,
        tsNanos: frame.tsNanos,
        stream: analysis ? analysis.stream : -1,
        fromClient: analysis ? analysis.fromClient : false,
        tcpFlags: analysis ? summary.tcpFlags : 0,
        payloadLength: analysis ? Math.max(0, summary.payloadLength) : 0,
        tlsRecords: pipeline.tlsRecords,
        http: pipeline.httpResult,
        dns: pipeline.dnsMessages,
      });
    },
  });
  await quic.settled();
  for (const datagram of quicDatagrams) timeline.quicDatagram(datagram);
  pipeline.tracker.finish();
  const facts: PageLoadConnectionFacts[] = pipeline.tracker.connections().map((c) => {
    const summary = dissector.summary(c.stream);
    return {
      stream: c.stream,
      client: `${bracket(c.client.address)}:${c.client.port}`,
      server: `${bracket(c.server.address)}:${c.server.port}`,
      sni: c.tls?.sni ?? null,
      alpnOffered: c.tls?.alpn_offered ?? [],
      alpnSelected: summary?.alpnSelected ?? c.tls?.alpn_selected ?? null,
      tlsVersion: summary?.version ? tlsVersionName(summary.version) : null,
      decrypted: summary?.decrypted ?? null,
    };
  });
  const quicFacts: PageLoadQuicFacts[] = quic.attempts().map((a) => ({
    id: a.id,
    client: a.client,
    server: a.server,
    firstFrame: a.firstFrame,
    lastFrame: a.lastFrame,
    sni: a.clientHello?.serverName ?? null,
    alpnOffered: a.clientHello?.alpn ?? [],
    alpnSelected: a.tls.alpnSelected,
    decrypted: a.tls.decrypted,
  }));
  return timeline.result(facts, quicFacts);
}

/**
 * Rewrites a pcapng with its Decryption Secrets Blocks ahead of the first packet (after the
 * interface blocks, where editcap can still copy the file). Browsers write their key log a little
 * after the handshake it belongs to (Chromium logs the handshake secrets once the ServerHello has
 * arrived, and buffers), so a live capture's blocks can follow the records they unlock; a one-pass
 * reader (tshark without -2, `decode`) then cannot decrypt those connections. Frames, interfaces,
 * timestamps and comments are kept.
 */
export async function moveSecretsFirst(file: string): Promise<{ secrets: number }> {
  let secrets = 0;
  await readCaptureFile(file, {
    onSecrets(type) {
      if (type === SecretsType.TlsKeyLog) secrets++;
    },
    onFrame() {},
  });
  if (secrets === 0) return { secrets: 0 };
  const temporary = `${file}.partial`;
  await convertCaptureFile(file, temporary, 'pcapng', { keepSecrets: true, section: { userApplication: 'Handshake Workbench (handshake browse)', os: process.platform } });
  renameSync(temporary, file);
  return { secrets };
}
