/**
 * The backend's CaptureProvider (capture-provider.ts) on top of the capture helper: each
 * call runs in a short-lived helper process, because a helper holds at most one capture
 * and a failed open poisons it.
 */
import { fromHex, toHex } from '../../shared/wire/bytes';
import { linkTypeName } from '../../shared/wire/linktypes';
import { ApiError, type InterfaceInfo, type SendParams } from '../../shared/api';
import { CaptureError } from './capture-session';
import { destinationOfPacket, exchange, ExchangeUsageError, ipPacketOf, type ExchangeFrame } from './exchange';
import type { CaptureProvider } from './capture-provider';
import { HelperClient, HelperRequestError, type HelperLaunchOptions } from './helper-client';

async function withHelper<T>(launch: HelperLaunchOptions, use: (helper: HelperClient) => Promise<T>): Promise<T> {
  const helper = new HelperClient(launch);
  try {
    return await use(helper);
  } finally {
    await helper.stop();
  }
}

function describe(error: unknown): string {
  if (error instanceof HelperRequestError) return error.advice ? `${error.message}. ${error.advice}` : error.message;
  return error instanceof Error ? error.message : String(error);
}

export function createHelperCaptureProvider(launch: HelperLaunchOptions = {}): CaptureProvider {
  return {
    listInterfaces: () =>
      withHelper(launch, async (helper) =>
        (await helper.interfaces()).map(
          (entry): InterfaceInfo => ({
            name: entry.name,
            description: entry.description ?? '',
            addresses: entry.addresses.map((address) => address.address),
            mac: entry.mac,
            loopback: entry.loopback,
            linkType: entry.linkType ?? 0,
            linkTypeName: entry.linkType === null ? 'unknown' : linkTypeName(entry.linkType),
          }),
        ),
      ),

    validateBpf: (filter, linkType) =>
      withHelper(launch, async (helper) => {
        try {
          const result = await helper.validateFilter(filter, { linkType });
          return { ok: result.valid, message: result.message };
        } catch (error) {
          return { ok: false, message: describe(error) };
        }
      }),

    send: async (params: SendParams, onSent) => {
      const frames = params.framesHex.map((text) => fromHex(text));
      if (frames.length !== 1) throw new ApiError('invalid', 'send takes one frame (repeated with count)');
      const fillLink = params.fillLink ?? true;
      const given = frames[0];
      const packet = fillLink ? ipPacketOf(given, params.linkType) : given;
      if (!packet) throw new ApiError('invalid', 'to fill in the link layer the frame must carry IPv4 or IPv6 (switch the link fill off to send it as it is)');
      const inner = ipPacketOf(given, params.linkType);
      const destination = inner ? destinationOfPacket(inner) : null;
      if (fillLink && !destination) throw new ApiError('invalid', 'to fill in the link layer the frame must carry IPv4 or IPv6');
      try {
        const outcome = await exchange({
          ...launch,
          device: params.interface,
          destination,
          build: () => packet,
          fillLink,
          linkType: params.linkType,
          count: Math.max(1, params.count),
          intervalMs: params.intervalMs > 0 ? params.intervalMs : undefined,
          waitMs: params.waitMs,
          suppressKernelRst: params.suppressKernelRst,
          onSent: (bytes) => onSent?.(bytes),
        });
        const info = (frame: ExchangeFrame) => ({ line: frame.line, bytesHex: toHex(frame.bytes), linkType: frame.linkType });
        return {
          sent: outcome.sent,
          resolvedBy: outcome.resolvedBy,
          frame: outcome.sentFrame ? info(outcome.sentFrame) : null,
          replies: outcome.replies.map((reply) => ({ kind: reply.kind, ...info(reply) })),
          waitMs: outcome.waitMs,
          kernelRst: outcome.kernelRst ? { frame: info(outcome.kernelRst), explanation: outcome.explanation } : null,
          suppressionRule: outcome.suppressionRule,
        };
      } catch (error) {
        if (error instanceof ExchangeUsageError) throw new ApiError('invalid', error.message);
        if (error instanceof CaptureError) throw new ApiError(error.code === 'permission' ? 'permission' : 'failed', error.advice ? `${error.message}. ${error.advice}` : error.message);
        throw error;
      }
    },

    describe: () => withHelper(launch, (helper) => helper.hello()),

    // A helper of its own: a capture open, even a failed one, is once per helper process.
    probePermission: () =>
      withHelper(launch, async (helper) => {
        const { platform } = await helper.hello();
        return { ...(await helper.probePermission()), platform };
      }),
  };
}
