/**
 * The backend's CaptureProvider (capture-provider.ts) on top of the capture helper: each
 * call runs in a short-lived helper process, because a helper holds at most one capture
 * and a failed open poisons it.
 */
import { fromHex } from '../../shared/wire/bytes';
import { linkTypeName } from '../../shared/wire/linktypes';
import type { InterfaceInfo, SendParams } from '../../shared/api';
import type { CaptureProvider } from './capture-provider';
import { HelperClient, HelperRequestError, type HelperLaunchOptions } from './helper-client';

/** A BPF program no frame passes: the send path opens the device only to inject. */
const MATCH_NOTHING = 'less 1';

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

    send: (params: SendParams) =>
      withHelper(launch, async (helper) => {
        const opened = await helper.open(params.interface, MATCH_NOTHING, 4 * 1024 * 1024);
        if (opened.linkType !== params.linkType) {
          throw new Error(`${params.interface} takes link type ${opened.linkType} (${opened.linkTypeName}); these frames are link type ${params.linkType}`);
        }
        const result = await helper.send({
          frames: params.framesHex.map((text) => fromHex(text)),
          link: 'as-is',
          count: Math.max(1, params.count),
          intervalMs: params.intervalMs > 0 ? params.intervalMs : undefined,
        });
        return result.sent;
      }),

    describe: () => withHelper(launch, (helper) => helper.hello()),

    // A helper of its own: a capture open, even a failed one, is once per helper process.
    probePermission: () =>
      withHelper(launch, async (helper) => {
        const { platform } = await helper.hello();
        return { ...(await helper.probePermission()), platform };
      }),
  };
}
