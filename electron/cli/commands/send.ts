/**
 * `handshake send -i IFACE [--template NAME] [--set field=value]… [-c N] [--interval MS | --rate PPS]
 *  [--wait MS] [--suppress-kernel-rst] [-w FILE] [--json]`:
 * builds a frame with the shared encoder, sends it through the helper (which fills in the
 * link layer), and prints the frame sent and every reply seen within --wait, matched the way
 * Scapy's sr1 matches. It watches for the local kernel's RST after a crafted SYN and says so.
 */
import { encodeFrame, EncodeError } from '../../../shared/craft/encode';
import type { FrameSpec, LayerSpec } from '../../../shared/craft/spec';
import { isTemplateName, parseTcpFlags, tcpFrame, templateFrame, TEMPLATE_DEFAULTS, TEMPLATE_NAMES, type TcpFrameOptions } from '../../../shared/craft/templates';
import { isIpv6Text } from '../../../shared/wire/bytes';
import { findField } from '../../../shared/wire/fields';
import { LINKTYPE_RAW } from '../../../shared/wire/linktypes';
import { DEFAULT_WAIT_MS, exchange, ExchangeUsageError } from '../../engine/exchange';
import { KERNEL_RST_EXPLANATION, KERNEL_RST_REMEDIES, KernelRstWatch, probeOf } from '../../engine/probe';
import { nonNegativeNumber, parseOptions, positiveInteger, reportFailure, UsageError } from './live-options';

const USAGE =
  `usage: handshake send -i IFACE [--template ${TEMPLATE_NAMES.join('|')}] [--set FIELD=VALUE]… [--payload TEXT]\n` +
  '         [-c COUNT] [--interval MS | --rate PPS] [--wait MS] [--suppress-kernel-rst] [-w FILE] [--json]';

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
    const draft = buildProbeFrame(template, shape, undefined);
    const suppress = options.flags.has('--suppress-kernel-rst');
    if (suppress && !KernelRstWatch.applies(probeOf(draft, LINKTYPE_RAW))) throw new UsageError('--suppress-kernel-rst applies to a crafted TCP SYN');

    const outcome = await exchange({
      device,
      destination: shape.options.dst ?? TEMPLATE_DEFAULTS.dst,
      build: (defaultSource) => buildProbeFrame(template, shape, defaultSource),
      fillLink: true,
      ethSrc: shape.ethSrc,
      ethDst: shape.ethDst,
      count,
      intervalMs,
      rate,
      waitMs,
      suppressKernelRst: suppress,
      spoolPath: options.values.get('--write'),
      onWarning: (message) => process.stderr.write(`handshake send: ${message}\n`),
      onSuppressed: (rule) => process.stderr.write(`handshake send: dropping this host's outgoing RSTs for the 4-tuple while sending (${rule})\n`),
    });
    const { sentFrame: sent, replies, kernelRst: trap } = outcome;
    if (json) {
      write(`${JSON.stringify({ type: 'sent', count: outcome.sent, elapsed_ms: Number(outcome.elapsedMs.toFixed(3)), eth_dst_from: outcome.resolvedBy, frame: sent?.fields ?? null })}\n`);
      for (const reply of replies) write(`${JSON.stringify({ type: 'reply', kind: reply.kind, frame: reply.fields })}\n`);
      if (replies.length === 0) write(`${JSON.stringify({ type: 'no-reply', wait_ms: waitMs })}\n`);
      if (trap) write(`${JSON.stringify({ type: 'kernel-rst', explanation: KERNEL_RST_EXPLANATION, remedies: KERNEL_RST_REMEDIES, frame: trap.fields })}\n`);
    } else {
      const rateText = outcome.elapsedMs > 0 ? `, ${Math.round((outcome.sent * 1000) / outcome.elapsedMs)} frames/s` : '';
      write(`sent ${outcome.sent} frame${outcome.sent === 1 ? '' : 's'} on ${device} in ${outcome.elapsedMs.toFixed(1)} ms${rateText}${outcome.resolvedBy ? ` (destination MAC from ${outcome.resolvedBy})` : ''}:\n`);
      if (sent) write(`> ${sent.line}\n`);
      for (const reply of replies) write(`< ${reply.line}\n`);
      if (replies.length === 0) write(`no reply within ${waitMs} ms\n`);
      if (trap) {
        write(`! ${trap.line}\n`);
        write(`! ${KERNEL_RST_EXPLANATION}\n! Remedies:\n${KERNEL_RST_REMEDIES.map((remedy) => `!   - ${remedy}\n`).join('')}`);
      }
    }
    if (outcome.endReason) {
      process.stderr.write(`handshake send: ${outcome.endReason}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ExchangeUsageError) return reportFailure('send', new UsageError(error.message), USAGE);
    return reportFailure('send', error, USAGE);
  }
}
