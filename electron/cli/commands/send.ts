/**
 * `handshake send -i IFACE [--template NAME] [--set field=value]… [-c N] [--interval MS | --rate PPS]
 *  [--wait MS] [--suppress-kernel-rst] [-w FILE] [--json]`:
 * builds a frame with the shared encoder, sends it through the helper (which fills in the
 * link layer), and prints the frame sent and every reply seen within --wait, matched the way
 * Scapy's sr1 matches. It watches for the local kernel's RST after a crafted SYN and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeFrame, EncodeError } from '../../../shared/craft/encode';
import type { FrameSpec, LayerSpec } from '../../../shared/craft/spec';
import { isTemplateName, parseTcpFlags, tcpFrame, templateFrame, TEMPLATE_DEFAULTS, TEMPLATE_NAMES, type TcpFrameOptions } from '../../../shared/craft/templates';
import { formatIpv4, formatIpv6, isIpv6Text } from '../../../shared/wire/bytes';
import { findField } from '../../../shared/wire/fields';
import { LINKTYPE_RAW } from '../../../shared/wire/linktypes';
import type { JsonFieldValue } from '../../../shared/wire/json';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { CaptureSession, type LiveFrame } from '../../engine/capture-session';
import { KERNEL_RST_EXPLANATION, KERNEL_RST_REMEDIES, KernelRstWatch, probeOf, replyKind } from '../../engine/probe';
import { nonNegativeNumber, parseOptions, positiveInteger, reportFailure, UsageError } from './live-options';

const USAGE =
  `usage: handshake send -i IFACE [--template ${TEMPLATE_NAMES.join('|')}] [--set FIELD=VALUE]… [--payload TEXT]\n` +
  '         [-c COUNT] [--interval MS | --rate PPS] [--wait MS] [--suppress-kernel-rst] [-w FILE] [--json]';
const DEFAULT_WAIT_MS = 2000;
/** After the first reply to a single probe, how long to keep looking for more (e.g. the kernel's RST). */
const SETTLE_AFTER_REPLY_MS = 300;

interface Described {
  line: string;
  fields: Record<string, JsonFieldValue>;
}

/** Fields that shape the frame as a whole (IP version, flags as letters, payload) rather than one header field. */
interface Shape {
  options: Partial<TcpFrameOptions>;
  fields: Map<string, string>;
  ethSrc?: string;
  ethDst?: string;
}

function shapeFromSets(sets: string[], payload: string | undefined): Shape {
  const shape: Shape = { options: {}, fields: new Map() };
  for (const assignment of sets) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new UsageError(`--set takes FIELD=VALUE, not "${assignment}"`);
    const name = assignment.slice(0, equals).trim();
    const value = assignment.slice(equals + 1).trim();
    switch (name) {
      case 'ip.src':
      case 'ipv6.src':
        shape.options.src = value;
        break;
      case 'ip.dst':
      case 'ipv6.dst':
        shape.options.dst = value;
        break;
      case 'eth.src':
        shape.ethSrc = value.toLowerCase();
        break;
      case 'eth.dst':
        shape.ethDst = value.toLowerCase();
        break;
      case 'data':
      case 'data.data':
        shape.fields.set('data.data', value);
        break;
      default:
        shape.fields.set(name, value);
    }
  }
  if (payload !== undefined) shape.options.payload = payload;
  return shape;
}

function applyField(spec: FrameSpec, name: string, value: string): void {
  if (name === 'data.data') {
    const existing = spec.layers.find((layer) => layer.layer === 'data');
    if (existing) existing.fields['data.data'] = value;
    else spec.layers.push({ layer: 'data', fields: { 'data.data': value } });
    return;
  }
  const layer = spec.layers.find((candidate: LayerSpec) => findField(candidate.layer, name));
  if (!layer) throw new UsageError(`${name} is not a field of this frame's layers (${spec.layers.map((candidate) => candidate.layer).join(', ')})`);
  // tcp.flags also takes Scapy-style letters ("SA"); the encoder coerces numeric and boolean text itself.
  layer.fields[name] = name === 'tcp.flags' && /^[a-z]+$/i.test(value) ? parseTcpFlags(value) : value;
}

/** The frame at the network layer (raw IP): the helper adds the link layer for the interface. */
export function buildProbeFrame(template: string | undefined, shape: Shape, defaultSource: string | undefined): Uint8Array {
  const options: Partial<TcpFrameOptions> = { ...shape.options, linkType: LINKTYPE_RAW };
  options.dst ??= TEMPLATE_DEFAULTS.dst;
  // Until the interface's own address is known (validation before the helper starts), a placeholder of the right family.
  options.src ??= defaultSource ?? (isIpv6Text(options.dst) ? '::' : TEMPLATE_DEFAULTS.src);
  let spec: FrameSpec;
  if (template !== undefined) {
    if (!isTemplateName(template)) throw new UsageError(`unknown template "${template}" (${TEMPLATE_NAMES.join(', ')})`);
    spec = templateFrame(template, options);
  } else {
    // No template: a bare TCP segment; every flag comes from --set.
    spec = tcpFrame({ ...TEMPLATE_DEFAULTS, flags: 0, ...options });
  }
  for (const [name, value] of shape.fields) applyField(spec, name, value);
  try {
    return encodeFrame(spec);
  } catch (error) {
    if (error instanceof EncodeError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runSend(argv: readonly string[]): Promise<number> {
  let session: CaptureSession | null = null;
  let temporaryDirectory: string | null = null;
  let ruleId: number | null = null;
  const write = (text: string) => process.stdout.write(text);
  try {
    const options = parseOptions(
      argv,
      {
        '--interface': 'value',
        '--template': 'value',
        '--set': 'list',
        '--payload': 'value',
        '--count': 'value',
        '--interval': 'value',
        '--rate': 'value',
        '--wait': 'value',
        '--write': 'value',
        '--suppress-kernel-rst': 'flag',
        '--json': 'flag',
        '--help': 'flag',
      },
      { '-i': '--interface', '-c': '--count', '-w': '--write', '-h': '--help', '-t': '--template' },
    );
    if (options.flags.has('--help')) {
      write(`${USAGE}\n`);
      return 0;
    }
    const device = options.values.get('--interface');
    if (!device) throw new UsageError('-i IFACE is required (see `handshake interfaces`)');
    if (options.positional.length > 0) throw new UsageError(`unexpected argument ${options.positional[0]}`);
    const count = positiveInteger(options.values.get('--count'), '-c') ?? 1;
    const intervalMs = nonNegativeNumber(options.values.get('--interval'), '--interval');
    const rate = nonNegativeNumber(options.values.get('--rate'), '--rate');
    if (intervalMs !== undefined && rate !== undefined) throw new UsageError('give --interval or --rate, not both');
    if (rate === 0) throw new UsageError('--rate must be above 0');
    const waitMs = nonNegativeNumber(options.values.get('--wait'), '--wait') ?? DEFAULT_WAIT_MS;
    const json = options.flags.has('--json');
    const shape = shapeFromSets(options.lists.get('--set') ?? [], options.values.get('--payload'));
    const template = options.values.get('--template');
    // Validate the frame before starting anything privileged.
    buildProbeFrame(template, shape, undefined);

    let spoolPath = options.values.get('--write');
    if (!spoolPath) {
      temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), 'handshake-send-'));
      spoolPath = path.join(temporaryDirectory, 'spool.pcapng');
    }
    const destination = shape.options.dst ?? TEMPLATE_DEFAULTS.dst;
    const ipv6 = isIpv6Text(destination);
    session = await CaptureSession.start({
      device,
      // Replies from the destination, ICMP errors about the probe, and ARP/NDP for resolving its MAC.
      filter: ipv6 ? `host ${destination} or icmp6` : `host ${destination} or icmp or arp`,
      spoolPath,
      track: false,
    });
    const ownInterface = (await session.interfaces()).find((entry) => entry.name === device);
    const sameFamily = ownInterface?.addresses.filter((address) => (address.family === 'IPv6') === ipv6) ?? [];
    // A global address when there is one; a link-local one (without its %scope) otherwise.
    const defaultSource = (sameFamily.find((address) => !address.address.startsWith('fe80')) ?? sameFamily[0])?.address.split('%')[0];
    const packet = buildProbeFrame(template, shape, defaultSource);
    const probe = probeOf(packet, LINKTYPE_RAW);
    if (!probe) throw new UsageError('the frame built is not an IP packet');

    // The distinct frames sent (one per --set combination, so few); length first keeps the check cheap.
    const sentCopies: Buffer[] = [];
    const isOwnFrame = (bytes: Uint8Array) => sentCopies.some((copy) => copy.length === bytes.length && copy.equals(bytes));
    const watch = KernelRstWatch.applies(probe) ? new KernelRstWatch(probe, isOwnFrame) : null;
    // Only the frames worth printing go through the core's pipeline, in capture order, so the
    // exchange reads as decode would show it (relative sequence numbers and all).
    const pipeline = new FramePipeline();
    const describe = (frame: LiveFrame): Described => {
      const processed = pipeline.process({ frameNumber: frame.number, linkType: frame.linkType, tsSeconds: frame.tsSec, tsNanos: frame.tsNsec, originalLength: frame.originalLength, data: frame.bytes });
      return { line: processed.line(), fields: processed.fields };
    };
    let firstSent: LiveFrame | null = null;
    let sentDescribed: Described | null = null;
    const describeSent = (captured: LiveFrame | null) => {
      if (sentDescribed) return;
      const frame = captured ?? firstSent;
      if (frame) sentDescribed = describe(frame);
    };
    const replies: Array<Described & { kind: string }> = [];
    let kernelRst: Described | null = null;
    let firstReplyAt: number | null = null;

    session.onSent((frame) => {
      if (sentCopies.length < 16 && !isOwnFrame(frame.bytes)) sentCopies.push(Buffer.from(frame.bytes));
      firstSent ??= { ...frame, bytes: frame.bytes.slice() };
    });
    session.onFrame((frame) => {
      if (isOwnFrame(frame.bytes)) return describeSent(frame);
      const trapped = watch?.observe(frame.bytes, frame.linkType) ?? false;
      const kind = replyKind(probe, frame.bytes, frame.linkType);
      if (!trapped && !kind) return;
      describeSent(null);
      const described = describe(frame);
      if (trapped) kernelRst = described;
      if (kind) {
        replies.push({ ...described, kind });
        firstReplyAt ??= Date.now();
      }
    });
    session.onWarning((message) => process.stderr.write(`handshake send: ${message}\n`));

    if (options.flags.has('--suppress-kernel-rst')) {
      if (!watch) throw new UsageError('--suppress-kernel-rst applies to a crafted TCP SYN');
      const source = probe.ipVersion === 4 ? formatIpv4(packet, 12) : formatIpv6(packet, 8);
      const rule = await session.suppressKernelRst({ src: source, dst: destination, sport: probe.srcPort, dport: probe.dstPort });
      ruleId = rule.ruleId;
      process.stderr.write(`handshake send: dropping this host's outgoing RSTs for the 4-tuple while sending (${rule.rule})\n`);
    }

    const result = await session.send({ frames: [packet], link: 'fill', count, intervalMs, rate, ethSrc: shape.ethSrc, ethDst: shape.ethDst });
    await new Promise<void>((resolve) => {
      const started = Date.now();
      const timer = setInterval(() => {
        const settled = count === 1 && firstReplyAt !== null && Date.now() - firstReplyAt >= SETTLE_AFTER_REPLY_MS;
        if (settled || Date.now() - started >= waitMs || session?.end) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    describeSent(null);
    const sent = sentDescribed as Described | null;
    const trap = kernelRst as Described | null;
    if (json) {
      write(`${JSON.stringify({ type: 'sent', count: result.sent, elapsed_ms: Number(result.elapsedMs.toFixed(3)), eth_dst_from: result.resolvedBy, frame: sent?.fields ?? null })}\n`);
      for (const reply of replies) write(`${JSON.stringify({ type: 'reply', kind: reply.kind, frame: reply.fields })}\n`);
      if (replies.length === 0) write(`${JSON.stringify({ type: 'no-reply', wait_ms: waitMs })}\n`);
      if (trap) write(`${JSON.stringify({ type: 'kernel-rst', explanation: KERNEL_RST_EXPLANATION, remedies: KERNEL_RST_REMEDIES, frame: trap.fields })}\n`);
    } else {
      const rateText = result.elapsedMs > 0 ? `, ${Math.round((result.sent * 1000) / result.elapsedMs)} frames/s` : '';
      write(`sent ${result.sent} frame${result.sent === 1 ? '' : 's'} on ${device} in ${result.elapsedMs.toFixed(1)} ms${rateText}${result.resolvedBy ? ` (destination MAC from ${result.resolvedBy})` : ''}:\n`);
      if (sent) write(`> ${sent.line}\n`);
      for (const reply of replies) write(`< ${reply.line}\n`);
      if (replies.length === 0) write(`no reply within ${waitMs} ms\n`);
      if (trap) {
        write(`! ${trap.line}\n`);
        write(`! ${KERNEL_RST_EXPLANATION}\n! Remedies:\n${KERNEL_RST_REMEDIES.map((remedy) => `!   - ${remedy}\n`).join('')}`);
      }
    }
    if (session.end?.reason) {
      process.stderr.write(`handshake send: ${session.end.reason}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    return reportFailure('send', error, USAGE);
  } finally {
    if (ruleId !== null && session && !session.end) {
      await session.releaseKernelRst(ruleId).catch((error: unknown) => process.stderr.write(`handshake send: could not remove the RST rule: ${String(error)}\n`));
    }
    // Ending the helper also removes any rule it still holds.
    if (session && !session.end) await session.stop();
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}
