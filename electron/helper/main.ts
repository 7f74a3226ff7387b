/**
 * The capture helper: the only process that loads `cap` and the only one that needs
 * capture privileges. It speaks the framed protocol of protocol.ts on stdin/stdout and
 * holds at most one capture for its whole life; it is stopped by ending the process
 * (closing its stdin, or a signal), never by close() and reopen, because cap cannot
 * reopen, and aborts when a failed open is retried.
 */
// First: nothing may debug or instrument the helper (harden.ts says how).
import './harden';
import { Cap } from 'cap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { formatIpv4, formatIpv6, parseIpv6, parseMac } from '../../shared/wire/bytes';
import {
  BSD_AF_INET,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../../shared/wire/linktypes';
import packageJson from '../../package.json';
import { injectRefusal, interfaceAddresses, interfaceMac, linkTypeFromCapName, listInterfaces } from './interfaces';
import { LiveConversations } from './conversations';
import { addRstDropRule, removeAllRstDropRules, removeRstDropRule, RstRefusedError, startStaleRuleCleanup, validateTuple } from './firewall';
import { hasEffectiveCapability, helperIsPrivileged } from './harden';
import { buildArpRequest, buildNeighbourSolicitation, neighbourMac, nextHop, parseArpReply, parseNeighbourAdvertisement } from './neighbours';
import { isActivationMessage, isPermissionMessage, permissionAdvice } from './permission';
import { capVersion, libpcapVersion } from './library-versions';
import { createHelperOutput, MAX_BACKLOG, type HelperOutput } from './output';
import {
  BatchBuilder,
  encodeControl,
  MessageReader,
  MessageType,
  PROTOCOL_VERSION,
  validateRequest,
  type HelloResult,
  type HelperError,
  type HelperErrorCode,
  type HelperRequest,
  type OpenResult,
  type ProbePermissionResult,
  type SendResult,
  type StatsResult,
  type ValidateFilterResult,
} from './protocol';

/**
 * cap's fixed 65535-byte snap length gives each kernel ring slot 64 KiB of frame in a 128 KiB
 * block (on Linux, libpcap's TPACKET_V2 ring in immediate mode), so 256 MiB asks for 4092
 * slots, about 20 ms at 200k frames/s: bursts beyond that drop silently. The top of the
 * 64–256 MiB range is the default for that reason.
 */
export const DEFAULT_BUFFER_SIZE = 256 * 1024 * 1024;
const SNAPLEN = 65535;
/** A batch goes out when it is this old, this full or this big, whichever comes first. */
const BATCH_WINDOW_MS = 8;
const BATCH_MAX_FRAMES = 4096;
const BATCH_MAX_BYTES = 4 * 1024 * 1024;
/** The helper's nice value where it may raise its priority (the engine stays at 0). */
const HELPER_NICE = -10;
/** Sends yield to the event loop this often so capture and requests keep flowing. */
const SEND_CHUNK = 512;
const ARP_ATTEMPTS = 3;
const ARP_WAIT_MS = 400;
const DEVICE_CHECK_MS = 250;
export const TIMESTAMP_SOURCE =
  'arrival time in the capture helper (performance.timeOrigin + performance.now()), not the kernel timestamp: ' +
  'measured against kernel stamps on a loaded machine, at real-time priority median 0.03-0.11 ms late (up to 3.6 ms above 5,000 frames/s) and p99 under 5 ms, ' +
  'without it p99 up to tens of ms; frames queued while the device opens up to about 0.1 s; resolution 1 µs';
/** Exit code when the capture device went away; the parent reports it as the reason. */
export const EXIT_DEVICE_GONE = 5;

// ---- Pinned state: cap corrupts the heap if its object or buffer is collected ----------

let capture: Cap | null = null;
let captureBuffer: Buffer | null = null;
let openState: 'closed' | 'open' | 'failed' = 'closed';
let opened: OpenResult | null = null;
/** Why the open device cannot take injected frames (null: it can); its type cannot change while it is open. */
let injectRefused: string | null = null;
const pinned: unknown[] = [];

const stats: StatsResult = { device: null, framesCaptured: 0, bytesCaptured: 0, batches: 0, framesSent: 0, truncated: 0, framesDropped: 0 };
const capturedBatch = new BatchBuilder(MessageType.captured, 2 * 1024 * 1024);
const sentBatch = new BatchBuilder(MessageType.sent, 256 * 1024);
let batchStartedMs = 0;
let flushTimer: NodeJS.Timeout | null = null;

/** IPv4 (as a number) → MAC, learnt from captured frames' sources and ARP replies. */
const seenMacs = new Map<number, string>();
const SEEN_MACS_LIMIT = 65536;
const arpWaiters = new Map<number, (mac: string) => void>();
/** IPv6 text → waiter for a neighbour advertisement (only while an NDP exchange runs). */
const ndpWaiters = new Map<string, (mac: string) => void>();

// ---- Output -----------------------------------------------------------------------------

let output: HelperOutput | null = null;
/** True while batches are being refused, so the warning is sent once per episode. */
let dropping = false;
/** How long an ending helper waits for its reader to take the backlog. */
const EXIT_DRAIN_MS = 10_000;

function out(): HelperOutput {
  // The reader gone (EPIPE) is the engine gone, as stdin's end is; whichever is seen first ends the helper.
  output ??= createHelperOutput(finish);
  return output;
}

function writeMessage(bytes: Uint8Array): void {
  out().write(bytes);
}

/** Ends the helper once the reader has taken what was queued (bounded: a stuck reader gets EXIT_DRAIN_MS). */
function exitAfterDrain(code: number): void {
  setTimeout(() => process.exit(code), EXIT_DRAIN_MS).unref();
  out().drain(() => process.exit(code));
}

function reply(id: number | null, result: unknown): void {
  writeMessage(encodeControl({ id, ok: true, result }));
}

function replyError(id: number | null, code: HelperErrorCode, message: string, advice?: string): void {
  const error: HelperError = advice ? { code, message, advice } : { code, message };
  writeMessage(encodeControl({ id, ok: false, error }));
}

function emitEvent(event: 'warning' | 'error', message: string): void {
  writeMessage(encodeControl({ event, message }));
}

class RequestError extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
    readonly advice?: string,
  ) {
    super(message);
  }
}

// ---- Capture ----------------------------------------------------------------------------

// The arrival time of the latest frame, set by stampArrival() (no allocation per packet).
let arrivalSec = 0;
let arrivalNsec = 0;
let arrivalMs = 0;

function stampArrival(): void {
  arrivalMs = performance.timeOrigin + performance.now();
  arrivalSec = Math.floor(arrivalMs / 1000);
  arrivalNsec = Math.min(999_999_999, Math.floor((arrivalMs - arrivalSec * 1000) * 1e6));
}

function flushCaptured(): void {
  if (flushTimer) {
    clearTimeout(flushTimer);
    flushTimer = null;
  }
  const frames = capturedBatch.count;
  const message = capturedBatch.take();
  if (!message || warming) return;
  if (out().writeDroppable(message)) {
    stats.batches++;
    if (dropping && out().backlog < MAX_BACKLOG / 2) dropping = false;
    return;
  }
  stats.framesDropped += frames;
  if (!dropping) {
    dropping = true;
    emitEvent('warning', `the reader fell ${MAX_BACKLOG / (1024 * 1024)} MiB behind: captured frames are being dropped (${stats.framesDropped} so far, counted in stats.framesDropped)`);
  }
}

/*
 * cap reads in immediate mode, so an idle-enough helper is woken for every frame: a poll
 * wakeup, a libpcap poll() and a callback per frame, about 7 µs of CPU each at 100k frames/s.
 * After a burst the helper therefore naps briefly before polling again, and the next wakeup
 * finds a burst of frames waiting: the same CPU then serves about four times the rate. A nap
 * is at most NAP_MS (well inside what the kernel ring holds at any rate the helper keeps up
 * with) and is skipped after a large burst, when the ring is filling fast.
 */
const NAP_MS = 1;
const NAP_SKIP_BURST = 512;
/*
 * Frames that arrive during a nap are stamped when it ends, up to NAP_MS late. Below this rate
 * a wakeup per frame costs little (7 µs × 5,000 frames/s = 3.5 % of a core), so the helper
 * naps only above it, and a page load or a handshake is stamped as soon as the helper runs.
 */
const NAP_MIN_RATE = 5000;
const RATE_WINDOW_MS = 100;
const napCell = new Int32Array(new SharedArrayBuffer(4));
let burstFrames = 0;
let rateWindowStartMs = 0;
let rateWindowFrames = 0;
let fastLink = false;

/** Sends in progress: a nap would stall their loop (replies to what is sent arrive in bursts). */
let sending = 0;

function napAfterBurst(): void {
  const burst = burstFrames;
  burstFrames = 0;
  if (fastLink && burst < NAP_SKIP_BURST && sending === 0) Atomics.wait(napCell, 0, 0, NAP_MS);
}

/** Decides, once per RATE_WINDOW_MS of arrivals, whether the link is busy enough to nap between bursts. */
function measureRate(nowMs: number): void {
  rateWindowFrames++;
  const elapsed = nowMs - rateWindowStartMs;
  if (elapsed < RATE_WINDOW_MS) return;
  fastLink = (rateWindowFrames * 1000) / elapsed >= NAP_MIN_RATE;
  rateWindowStartMs = nowMs;
  rateWindowFrames = 0;
}

/*
 * The first frames of a busy link meet cold code: interpreted, the helper drains the ring
 * slower than a fast sender fills it, and the ring (4092 frames) overflowed about 25 ms
 * into a capture at 200k frames/s. So the per-frame path runs on synthetic frames before
 * the device opens: run after the open, the kernel queued every frame of those (on a loaded
 * machine) hundreds of milliseconds, and they were stamped that late. Nothing it builds
 * leaves the helper.
 */
const WARM_UP_FRAMES = 30_000;
let warming = false;
/** The open device's link type (Ethernet while warming up), read per frame. */
let frameLinkType = -1;

function warmCapturePath(buffer: Buffer): void {
  // A TCP segment over IPv4 from 0.0.0.0 (no neighbour worth learning).
  const synthetic = Buffer.alloc(60);
  synthetic.writeUInt16BE(0x0800, 12);
  synthetic[14] = 0x45;
  synthetic.writeUInt16BE(46, 16);
  synthetic[23] = 6;
  synthetic.copy(buffer);
  warming = true;
  frameLinkType = LINKTYPE_ETHERNET;
  for (let i = 0; i < WARM_UP_FRAMES; i++) onPacket(synthetic.length, false);
  flushCaptured();
  warming = false;
  frameLinkType = -1;
  buffer.fill(0, 0, synthetic.length);
  seenMacs.clear();
  stats.framesCaptured = 0;
  stats.bytesCaptured = 0;
  rateWindowStartMs = 0;
  rateWindowFrames = 0;
  fastLink = false;
}

/** Open with `immediate`: each burst is handed over as soon as cap's callback has drained it, and the helper never naps. */
let immediateDelivery = false;

function flushBurst(): void {
  burstFrames = 0;
  flushCaptured();
}

function onPacket(nbytes: number, truncated: boolean): void {
  const buffer = captureBuffer as Buffer;
  // The nap (or, immediate, the hand-over) runs in the check phase, after cap's poll callback has drained what was waiting.
  if (burstFrames++ === 0) setImmediate(immediateDelivery && !warming ? flushBurst : napAfterBurst);
  stampArrival();
  const ms = arrivalMs;
  measureRate(ms);
  // cap reports only the captured length; at the snap length, the IPv4 total length tells the truth.
  let originalLength = nbytes;
  if ((truncated || nbytes >= SNAPLEN) && frameLinkType === LINKTYPE_ETHERNET && buffer[12] === 0x08 && buffer[13] === 0x00) {
    originalLength = Math.max(nbytes, 14 + buffer.readUInt16BE(16));
  }
  if (truncated) stats.truncated++;
  if (capturedBatch.count === 0) batchStartedMs = ms;
  capturedBatch.add(arrivalSec, arrivalNsec, originalLength, buffer, nbytes);
  stats.framesCaptured++;
  stats.bytesCaptured += nbytes;
  if (frameLinkType === LINKTYPE_ETHERNET) learnMac(buffer, nbytes);
  if (capturedBatch.count >= BATCH_MAX_FRAMES || capturedBatch.byteLength >= BATCH_MAX_BYTES || ms - batchStartedMs >= BATCH_WINDOW_MS) {
    flushCaptured();
  } else if (!flushTimer && !(immediateDelivery && !warming)) {
    flushTimer = setTimeout(flushCaptured, BATCH_WINDOW_MS);
  }
}

function learnMac(frame: Buffer, length: number): void {
  if (length < 34) return;
  if (frame[12] === 0x08 && frame[13] === 0x00) {
    const source = frame.readUInt32BE(26);
    if (!seenMacs.has(source)) {
      if (seenMacs.size >= SEEN_MACS_LIMIT) seenMacs.clear();
      seenMacs.set(source, formatMacOf(frame, 6));
    }
  } else if (frame[12] === 0x08 && frame[13] === 0x06) {
    const arp = parseArpReply(frame, length);
    if (!arp) return;
    seenMacs.set(arp.ip, arp.mac);
    arpWaiters.get(arp.ip)?.(arp.mac);
  } else if (ndpWaiters.size > 0 && frame[12] === 0x86 && frame[13] === 0xdd) {
    const advertisement = parseNeighbourAdvertisement(frame, length);
    if (advertisement) ndpWaiters.get(advertisement.ip)?.(advertisement.mac);
  }
}

function formatMacOf(frame: Buffer, offset: number): string {
  return frame.toString('hex', offset, offset + 6).replace(/(..)(?!$)/g, '$1:');
}

function openCapture(request: Extract<HelperRequest, { cmd: 'open' }>): OpenResult {
  if (openState === 'open') throw new RequestError('already-open', `this helper already captures on ${opened?.device}; start another helper for another capture`);
  if (openState === 'failed') throw new RequestError('open-failed', 'a failed open cannot be retried in the same helper process (cap would abort); start a new helper');
  const bufferSize = request.bufferSize ?? DEFAULT_BUFFER_SIZE;
  capture = new Cap();
  captureBuffer = Buffer.alloc(SNAPLEN);
  pinned.push(capture, captureBuffer);
  warmCapturePath(captureBuffer);
  captureAtRealtimePriority();
  let linkTypeName: string;
  try {
    linkTypeName = capture.open(request.device, request.filter, bufferSize, captureBuffer);
  } catch (error) {
    openState = 'failed';
    throw classifyOpenError(error, request.device, request.filter);
  }
  openState = 'open';
  immediateDelivery = request.immediate === true;
  const linkType = linkTypeFromCapName(linkTypeName) ?? -1;
  opened = { device: request.device, linkType, linkTypeName, bufferSize };
  frameLinkType = linkType;
  stats.device = request.device;
  injectRefused = injectRefusal(request.device, linkType);
  capture.on('packet', onPacket);
  capture.setMinBytes?.(0);
  watchDevice(request.device);
  if (request.linkType !== undefined && request.linkType !== linkType) {
    emitEvent('warning', `${request.device} captures as link type ${linkType} (${linkTypeName}), not ${request.linkType}; cap cannot change it`);
  }
  return opened;
}

function classifyOpenError(error: unknown, device: string, filter: string): RequestError {
  const message = error instanceof Error ? error.message : String(error);
  if (isPermissionMessage(message)) return new RequestError('permission', `no permission to capture on ${device}: ${message}`, permissionAdvice());
  if (/no such device|doesn't exist/i.test(message)) return new RequestError('no-device', `no interface named "${device}": ${message}`);
  if (filter.length > 0 && !isActivationMessage(message)) return new RequestError('bad-filter', `bad capture filter "${filter}": ${message}`);
  return new RequestError('open-failed', `cannot open ${device}: ${message}`);
}

/** A device that disappears or goes down ends the capture with a reason, frames so far flushed. */
function watchDevice(device: string): void {
  if (process.platform !== 'linux' || device === 'any') return;
  const timer = setInterval(() => {
    const gone = !existsSync(`/sys/class/net/${device}`);
    if (!gone && (listDeviceFlags(device) & 0x1) !== 0) return;
    clearInterval(timer);
    flushCaptured();
    emitEvent('error', `interface ${device} ${gone ? 'disappeared' : 'went down'}; capture ended`);
    exitAfterDrain(EXIT_DEVICE_GONE);
  }, DEVICE_CHECK_MS);
  timer.unref();
}

function listDeviceFlags(device: string): number {
  try {
    return Number.parseInt(readFileSync(`/sys/class/net/${device}/flags`, 'utf8'), 16);
  } catch {
    return 0;
  }
}

// ---- Injection --------------------------------------------------------------------------

function destinationOf(packet: Uint8Array): string {
  const version = packet[0] >> 4;
  if (version === 4 && packet.length >= 20) return formatIpv4(packet, 16);
  if (version === 6 && packet.length >= 40) return formatIpv6(packet, 24);
  throw new RequestError('bad-request', 'a frame to send with link "fill" must start with an IPv4 or IPv6 header');
}

function ipv4Number(text: string): number {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** Sends `request` up to ARP_ATTEMPTS times until `waiters` hears about `key`; resolves with the MAC or null. */
function solicit<K>(request: Buffer, waiters: Map<K, (mac: string) => void>, key: K): Promise<string | null> {
  return new Promise((resolve) => {
    let attempts = 0;
    let timer: NodeJS.Timeout | null = null;
    const finish = (found: string | null) => {
      if (timer) clearTimeout(timer);
      waiters.delete(key);
      resolve(found);
    };
    waiters.set(key, finish);
    const attempt = () => {
      if (attempts++ >= ARP_ATTEMPTS) return finish(null);
      capture?.send(request);
      timer = setTimeout(attempt, ARP_WAIT_MS);
    };
    attempt();
  });
}

async function arpExchange(device: string, target: string): Promise<string | null> {
  const mac = interfaceMac(device);
  if (!mac || !capture) return null;
  const senderIp = interfaceAddresses(device).find((address) => address.family === 'IPv4')?.address ?? '0.0.0.0';
  return solicit(Buffer.from(buildArpRequest(parseMac(mac), senderIp, target)), arpWaiters, ipv4Number(target));
}

async function ndpExchange(device: string, target: string): Promise<string | null> {
  const mac = interfaceMac(device);
  const addresses = interfaceAddresses(device).filter((address) => address.family === 'IPv6');
  // A link-local source is always acceptable for neighbour discovery.
  const senderIp = (addresses.find((address) => address.address.startsWith('fe80')) ?? addresses[0])?.address.split('%')[0];
  if (!mac || !capture || !senderIp) return null;
  return solicit(Buffer.from(buildNeighbourSolicitation(parseMac(mac), senderIp, target)), ndpWaiters, formatIpv6(parseIpv6(target)));
}

async function resolveDestinationMac(device: string, destination: string): Promise<[string, SendResult['resolvedBy']]> {
  const hop = nextHop(destination, device);
  const fromTable = neighbourMac(hop, device);
  if (fromTable) return [fromTable, 'neighbour-table'];
  if (!hop.includes(':')) {
    const seen = seenMacs.get(ipv4Number(hop));
    if (seen) return [seen, 'seen-frames'];
    const fromArp = await arpExchange(device, hop);
    if (fromArp) return [fromArp, 'arp'];
    throw new RequestError('resolve-failed', `no ARP reply from ${hop} on ${device} (the capture filter must admit arp for the helper to see the reply); give --set eth.dst=MAC`);
  }
  const fromNdp = await ndpExchange(device, hop);
  if (fromNdp) return [fromNdp, 'ndp'];
  throw new RequestError('resolve-failed', `no neighbour advertisement from ${hop} on ${device} (the capture filter must admit icmp6); give --set eth.dst=MAC`);
}

function bsdAfInet6(): number {
  if (process.platform === 'darwin') return 30;
  if (process.platform === 'freebsd') return 28;
  return 24;
}

async function buildLinkFrames(request: Extract<HelperRequest, { cmd: 'send' }>, device: string, linkType: number) {
  const packets = request.frames.map((frame) => Buffer.from(frame, 'base64'));
  const meta: Pick<SendResult, 'ethSrc' | 'ethDst' | 'resolvedBy'> = { ethSrc: null, ethDst: null, resolvedBy: null };
  if (request.link === 'as-is') return { frames: packets, meta };
  if (linkType === LINKTYPE_RAW) return { frames: packets, meta };
  if (linkType === LINKTYPE_NULL) {
    const frames = packets.map((packet) => {
      const header = Buffer.alloc(4);
      const family = packet[0] >> 4 === 6 ? bsdAfInet6() : BSD_AF_INET;
      if (os.endianness() === 'LE') header.writeUInt32LE(family);
      else header.writeUInt32BE(family);
      return Buffer.concat([header, packet]);
    });
    return { frames, meta };
  }
  const source = request.ethSrc ?? interfaceMac(device);
  if (!source) throw new RequestError('resolve-failed', `${device} has no MAC address; give --set eth.src=MAC`);
  const macByDestination = new Map<string, string>();
  const frames: Buffer[] = [];
  for (const packet of packets) {
    const destinationIp = destinationOf(packet);
    let destinationMac = request.ethDst ?? macByDestination.get(destinationIp);
    if (request.ethDst) meta.resolvedBy = 'explicit';
    if (!destinationMac) {
      const [mac, how] = await resolveDestinationMac(device, destinationIp);
      destinationMac = mac;
      meta.resolvedBy = how;
      macByDestination.set(destinationIp, mac);
    }
    const header = Buffer.alloc(14);
    header.set(parseMac(destinationMac), 0);
    header.set(parseMac(source), 6);
    header.writeUInt16BE(packet[0] >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, 12);
    frames.push(Buffer.concat([header, packet]));
    meta.ethDst = destinationMac;
  }
  meta.ethSrc = source;
  return { frames, meta };
}

function flushSent(): void {
  const message = sentBatch.take();
  if (message) writeMessage(message);
}

/** Conversations the engine holds through this helper: reset if the engine vanishes with them live. */
const conversations = new LiveConversations();

/**
 * The engine is gone (stdin ended, or a signal) with conversations live: each gets its RST now,
 * synchronously, so it is on the wire before the RST rules go and before a write to the dead
 * parent could end the process.
 */
function resetLiveConversations(): void {
  const resets = conversations.takeResets();
  if (resets.length === 0 || openState !== 'open' || !capture || !opened || injectRefused) return;
  for (const { packet, ethSrc, ethDst } of resets) {
    let frame: Buffer;
    if (opened.linkType === LINKTYPE_RAW) frame = Buffer.from(packet);
    else if (opened.linkType === LINKTYPE_ETHERNET && ethSrc && ethDst) {
      const header = Buffer.alloc(14);
      header.set(parseMac(ethDst), 0);
      header.set(parseMac(ethSrc), 6);
      header.writeUInt16BE(packet[0] >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4, 12);
      frame = Buffer.concat([header, packet]);
    } else continue;
    try {
      capture.send(frame, frame.length);
      stats.framesSent++;
    } catch {
      // The device is gone: nothing more can be sent.
      return;
    }
  }
}

async function sendFrames(request: Extract<HelperRequest, { cmd: 'send' }>): Promise<SendResult> {
  if (openState !== 'open' || !capture || !opened) throw new RequestError('not-open', 'open a device before sending (the helper sends on its capture device)');
  // Checked once at open: each send reading sysfs again cost syscalls on a conversation's reply path.
  if (injectRefused) throw new RequestError('cannot-inject', injectRefused);
  const { frames, meta } = await buildLinkFrames(request, opened.device, opened.linkType);
  if (request.conversation && request.link === 'fill') {
    for (const frame of request.frames) conversations.note(Buffer.from(frame, 'base64'), meta.ethSrc, meta.ethDst);
  }
  const total = frames.length * (request.count ?? 1);
  const gapMs = request.rate !== undefined ? 1000 / request.rate : (request.intervalMs ?? 0);
  const device = capture;
  const started = performance.now();
  let sent = 0;
  sending++;
  const sendOne = () => {
    const frame = frames[sent % frames.length];
    try {
      device.send(frame, frame.length);
    } catch (error) {
      flushSent();
      throw new RequestError('send-failed', `send failed after ${sent} of ${total} frames: ${error instanceof Error ? error.message : String(error)}`);
    }
    stampArrival();
    sentBatch.add(arrivalSec, arrivalNsec, frame.length, frame, frame.length);
    if (sentBatch.byteLength >= BATCH_MAX_BYTES) flushSent();
    sent++;
    stats.framesSent++;
  };
  try {
    while (sent < total) {
      if (gapMs <= 0) {
        const stop = Math.min(total, sent + SEND_CHUNK);
        while (sent < stop) sendOne();
      } else {
        // Every frame whose scheduled time has come goes now, so a timer's lateness never lowers the rate.
        const due = Math.min(total, Math.floor((performance.now() - started) / gapMs) + 1);
        while (sent < due) sendOne();
      }
      flushSent();
      if (sent >= total) break;
      const waitMs = gapMs <= 0 ? 0 : Math.max(0, started + sent * gapMs - performance.now());
      await new Promise((resolve) => (waitMs < 1 ? setImmediate(resolve) : setTimeout(resolve, waitMs)));
    }
  } finally {
    sending--;
  }
  flushSent();
  return { sent, elapsedMs: performance.now() - started, ...meta };
}

// ---- Filter validation ------------------------------------------------------------------

/** cap can only compile a filter on an opened device, and a failed open poisons the process, so validation runs in a child. */
async function validateFilter(request: Extract<HelperRequest, { cmd: 'validate-filter' }>): Promise<ValidateFilterResult> {
  const wanted = request.linkType ?? LINKTYPE_ETHERNET;
  let device = request.device;
  if (!device) {
    const candidates = listInterfaces().filter((entry) => entry.linkType === wanted && entry.up && (entry.name !== 'any' || wanted === LINKTYPE_LINUX_SLL));
    device = (candidates.find((entry) => entry.loopback) ?? candidates[0])?.name;
    if (!device) throw new RequestError('no-device', `no interface here captures as link type ${wanted}, so a filter for it cannot be compiled`);
  }
  const output = await runValidationChild(device, request.filter);
  if (output.error) throw new RequestError(output.error.code, output.error.message, output.error.advice);
  return { valid: output.valid ?? false, message: output.message ?? null, device, linkType: output.linkType ?? wanted };
}

interface ValidationOutput {
  valid?: boolean;
  message?: string | null;
  linkType?: number;
  error?: HelperError;
}

function runValidationChild(device: string, filter: string): Promise<ValidationOutput> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [process.argv[1], '--validate-filter', JSON.stringify({ device, filter })], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (text.length < 65536) text += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as ValidationOutput);
      } catch {
        resolve({ error: { code: 'internal', message: `filter validation process ended (${signal ?? code}) without an answer` } });
      }
    });
  });
}

function validationChildMain(argument: string): void {
  const { device, filter } = JSON.parse(argument) as { device: string; filter: string };
  const probe = new Cap();
  const buffer = Buffer.alloc(SNAPLEN);
  pinned.push(probe, buffer);
  let result: ValidationOutput;
  try {
    const linkType = linkTypeFromCapName(probe.open(device, filter, 1024 * 1024, buffer)) ?? -1;
    result = { valid: true, message: null, linkType };
  } catch (error) {
    const classified = classifyOpenError(error, device, filter);
    result =
      classified.code === 'bad-filter'
        ? { valid: false, message: error instanceof Error ? error.message : String(error) }
        : { error: { code: classified.code, message: classified.message, advice: classified.advice } };
  }
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
}

// ---- Permission probe -------------------------------------------------------------------

/** A BPF program no frame passes: the probe only needs the open to succeed. */
const MATCH_NOTHING = 'less 1';

/** Opens a match-nothing capture in a child (a failed open would poison this process) on loopback or the first interface up. */
async function probePermission(request: Extract<HelperRequest, { cmd: 'probe-permission' }>): Promise<ProbePermissionResult> {
  let device = request.device;
  if (!device) {
    const candidates = listInterfaces().filter((entry) => entry.up && entry.name !== 'any');
    device = (candidates.find((entry) => entry.loopback) ?? candidates[0])?.name ?? 'any';
  }
  const output = await runValidationChild(device, MATCH_NOTHING);
  if (output.valid) return { ok: true, device, message: null, permission: false };
  const message = output.error?.message ?? output.message ?? 'the capture could not be opened';
  return { ok: false, device, message, permission: output.error?.code === 'permission' || isPermissionMessage(message) };
}

// ---- Request loop -----------------------------------------------------------------------

async function handle(request: HelperRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'hello': {
      const hello: HelloResult = {
        protocol: PROTOCOL_VERSION,
        version: packageJson.version,
        pid: process.pid,
        platform: process.platform,
        timestampSource: `${TIMESTAMP_SOURCE}; ${priorityNote}`,
        capVersion: capVersion(),
        libpcapVersion: libpcapVersion(),
      };
      return hello;
    }
    case 'interfaces':
      return listInterfaces();
    case 'open':
      return openCapture(request);
    case 'send':
      return sendFrames(request);
    case 'stats':
      return { ...stats };
    case 'validate-filter':
      return validateFilter(request);
    case 'probe-permission':
      return probePermission(request);
    case 'suppress-rst': {
      const problem = validateTuple(request);
      if (problem) throw new RequestError('bad-request', problem);
      try {
        return await addRstDropRule(request);
      } catch (error) {
        if (error instanceof RstRefusedError) throw new RequestError('rst-refused', error.message);
        throw new RequestError('firewall-failed', error instanceof Error ? error.message : String(error));
      }
    }
    case 'end-conversations':
      return { ended: conversations.end(request.dst !== undefined && request.dport !== undefined ? { dst: request.dst, dport: request.dport } : undefined) };
    case 'release-rst':
      try {
        return { removed: removeRstDropRule(request.ruleId) };
      } catch (error) {
        throw new RequestError('firewall-failed', error instanceof Error ? error.message : String(error));
      }
  }
}

function onInput(chunk: Buffer): void {
  for (const item of reader.push(chunk)) {
    if (item.kind === 'error') {
      replyError(null, 'bad-message', item.message);
      continue;
    }
    if (item.kind === 'batch') {
      replyError(null, 'bad-message', 'the helper accepts only control messages');
      continue;
    }
    const checked = validateRequest(item.message);
    if (!checked.ok) {
      replyError(checked.id, checked.error.startsWith('unknown command') ? 'unknown-command' : 'bad-request', checked.error);
      continue;
    }
    const { id } = checked.value;
    handle(checked.value).then(
      (result) => reply(id, result),
      (error: unknown) => {
        if (error instanceof RequestError) replyError(id, error.code, error.message, error.advice);
        else replyError(id, 'internal', error instanceof Error ? error.message : String(error));
      },
    );
  }
}

const reader = new MessageReader();

/** The helper's scheduling priority as raisePriority() left it, stated beside the timestamps. */
let priorityNote = 'the helper runs at normal priority';

const CAP_SYS_NICE = 23;
/** The lowest real-time priority: above every normal process, below the kernel's own real-time threads. */
const HELPER_RT_PRIORITY = 1;
/** util-linux's chrt, by absolute path only (Node cannot call sched_setscheduler itself). */
const CHRT_PATHS = ['/usr/bin/chrt', '/bin/chrt'];

/**
 * Frames are stamped when the helper runs, and the ring holds ~4000 frames, so the helper must
 * run as soon as frames arrive, ahead of everything else. Where it may (root, or CAP_SYS_NICE,
 * which the packages do not grant), every thread gets nice -10 and, on Linux, from the open on,
 * SCHED_RR 1 with reset-on-fork (its child processes and later threads run normally): on a loaded two-core
 * machine nice -10 alone left stamps up to 72 ms late at p99, real-time priority under 5 ms
 * (README). Round-robin, not FIFO: two busy helpers (a flood `send` beside a capture) take
 * turns instead of one waiting until the other sleeps.
 * Every thread, because the main thread waits for V8's GC threads, which start before this.
 * Elsewhere the helper keeps its priority and says so. Not on Windows, where any process may
 * raise itself to a high priority class and nothing marks the helper as entitled to it.
 */
function raisePriority(): string {
  if (process.platform === 'win32') return 'the helper runs at normal priority (not raised on Windows)';
  const threads = process.platform === 'linux' ? threadIds() : [0];
  try {
    for (const tid of threads) {
      try {
        os.setPriority(tid, HELPER_NICE);
      } catch (error) {
        // A thread may end between the listing and this call.
        const code = (error as { info?: { code?: string } }).info?.code;
        if (code !== 'ESRCH' || tid === 0 || tid === process.pid) throw error;
      }
    }
  } catch {
    return 'the helper runs at normal priority (raising it needs root or CAP_SYS_NICE), so on a busy machine its stamps are later';
  }
  const mayUseRealtime = process.platform === 'linux' && (process.geteuid?.() === 0 || hasEffectiveCapability(CAP_SYS_NICE));
  realtimeTool = mayUseRealtime ? CHRT_PATHS.find((candidate) => existsSync(candidate)) : undefined;
  if (realtimeTool) return `the helper captures at real-time priority (SCHED_RR ${HELPER_RT_PRIORITY})`;
  if (process.platform !== 'linux') return `the helper runs at raised priority (nice ${HELPER_NICE})`;
  return `the helper runs at raised priority (nice ${HELPER_NICE}), not real-time (${mayUseRealtime ? 'no chrt found' : 'it needs root or CAP_SYS_NICE'})`;
}

let realtimeTool: string | undefined;

/**
 * Real-time priority from the open on, after the warm-up: a CPU-bound stretch at real-time
 * priority (the warm-up took 100-460 ms on a loaded machine) stalled another helper's capture
 * on the same core by a whole round-robin slice (100 ms).
 */
function captureAtRealtimePriority(): void {
  if (!realtimeTool) return;
  const result = spawnSync(realtimeTool, ['--all-tasks', '--rr', '--reset-on-fork', '--pid', String(HELPER_RT_PRIORITY), String(process.pid)], { stdio: 'ignore', timeout: 5000 });
  if (result.status === 0) return;
  priorityNote = `the helper runs at raised priority (nice ${HELPER_NICE}), not real-time (${realtimeTool} failed)`;
  emitEvent('warning', `could not raise the capture to real-time priority (${realtimeTool} failed); timestamps may be later on a busy machine`);
}

function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((tid) => tid > 0);
  } catch {
    return [0];
  }
}

let finishing = false;

/**
 * The parent ends the helper by closing stdin, or vanished (stdin ended, stdout's reader gone, a
 * signal): live conversations get their RSTs, what was captured is flushed and handed over, the
 * RST rules go, then the helper exits.
 */
function finish(): void {
  if (finishing) return;
  finishing = true;
  resetLiveConversations();
  flushCaptured();
  removeAllRstDropRules();
  exitAfterDrain(0);
}

function main(): void {
  if (process.argv[2] === '--validate-filter') return validationChildMain(process.argv[3] ?? '{}');
  out();
  priorityNote = raisePriority();
  // RST rules of helpers killed without a chance to clean up (SIGKILL) go now.
  if (process.platform === 'linux' && helperIsPrivileged()) startStaleRuleCleanup();
  process.stdin.on('data', onInput);
  process.stdin.on('end', finish);
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  process.on('SIGHUP', finish);
  process.on('uncaughtException', (error) => {
    emitEvent('error', `helper internal error: ${error.message}`);
  });
}

main();
