import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { buildDetailTree, type DetailNode } from '../../../shared/api';
import { coerceFieldValue, EncodeError, encodeFrame, icmpEchoFrame, linuxSynOptions, specFromDecoded, tcpFrame, templateFrame, udpFrame, type TemplateName } from '../../../shared/craft';
import type { FieldInput, FrameSpec, LayerSpec, TcpOptionSpec } from '../../../shared/craft/spec';
import { encodeUtf8 } from '../../../shared/files/utf8';
import { fromHex, toHex } from '../../../shared/wire/bytes';
import { decodeFrame, type DecodedFrame } from '../../../shared/wire/decode';
import { findField, type FieldDef } from '../../../shared/wire/fields';
import { useApi } from '../api/instance';
import { craftReply, type ReplyKind } from '../lib/reply';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

export type PayloadMode = 'text' | 'hex';
/** What a line break typed in the text payload becomes on the wire. */
export type LineBreak = 'crlf' | 'lf';

/**
 * Payload bytes as the text box shows them. A textarea's value always uses bare LF (the HTML
 * standard normalises CR LF and lone CR), so with CRLF line breaks each CR LF is shown as one
 * line break; `exact` is false when the bytes hold a CR the chosen line breaks cannot show
 * (a lone CR, or a bare LF among CRLFs): typing in the text box would then change them.
 */
export function payloadAsText(bytes: Uint8Array, lineBreak: LineBreak): { text: string; exact: boolean } {
  const raw = new TextDecoder().decode(bytes);
  const text = lineBreak === 'crlf' ? raw.replace(/\r\n/g, '\n') : raw;
  return { text, exact: !text.includes('\r') && textAsPayload(text, lineBreak).length === bytes.length && toHex(textAsPayload(text, lineBreak)) === toHex(bytes) };
}

/** The text a text box's value stands for: each line break (the box hands over bare LF) becomes CR LF or LF. */
export function withLineBreaks(text: string, lineBreak: LineBreak): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  return lineBreak === 'crlf' ? normalised.replace(/\n/g, '\r\n') : normalised;
}

/** The bytes a text box's value stands for: each line break becomes CR LF or LF, everything else UTF-8. */
export function textAsPayload(text: string, lineBreak: LineBreak): Uint8Array {
  return encodeUtf8(withLineBreaks(text, lineBreak));
}

/** The line breaks a payload already uses (CRLF when it has any CR LF pair, or none at all: text protocols such as HTTP want CRLF). */
export function lineBreakOf(bytes: Uint8Array): LineBreak {
  let crlf = 0;
  let lf = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (i > 0 && bytes[i - 1] === 0x0d) crlf++;
    else lf++;
  }
  return lf > crlf ? 'lf' : 'crlf';
}

export type Built =
  | { ok: true; bytes: Uint8Array; decoded: DecodedFrame; tree: DetailNode[] }
  | { ok: false; error: string };

/**
 * A plain copy of the spec for the encoder. It reads through the reactive proxy on
 * purpose: that is how the live build learns which fields it depends on.
 */
function plainSpec(spec: FrameSpec): FrameSpec {
  return {
    ...spec,
    layers: spec.layers.map((layer) => ({
      ...layer,
      fields: { ...layer.fields },
      tcpOptions: layer.tcpOptions?.map((option) =>
        option.kind === 'sack' ? { kind: 'sack', blocks: option.blocks.map(([left, right]) => [left, right] as [number, number]) } : { ...option },
      ),
      extHeaders: layer.extHeaders?.map((ext) => ({ ...ext })),
    })),
  };
}

/** Automatic fields become automatic again: "edit as new" should keep checksums and lengths right as you edit. */
function withAutomaticFields(spec: FrameSpec): FrameSpec {
  for (const layer of spec.layers) {
    for (const name of Object.keys(layer.fields)) {
      if (findField(layer.layer, name)?.auto) layer.fields[name] = undefined;
    }
    if (layer.layer === 'tcp') layer.tcpPadding = undefined;
  }
  return spec;
}

/** The header editor: the frame being built, field by field, with its live bytes and decode. */
export const useEditorStore = defineStore('editor', () => {
  const spec = ref<FrameSpec>(templateFrame('syn'));
  /** Refused inputs, by "layerIndex:field": the text typed and why it was refused. */
  const errors = ref<Record<string, { text: string; message: string }>>({});
  const payloadMode = ref<PayloadMode>('text');
  const lineBreak = ref<LineBreak>('crlf');
  /** Refused TCP option values, by option index. */
  const optionErrors = ref<Record<number, string>>({});
  const origin = ref('template SYN');
  /** Frames exported or sent so far (hex), for "Export crafted frames". */
  const crafted = shallowRef<string[]>([]);
  const focusedField = ref<string | null>(null);

  const built = computed<Built>(() => {
    try {
      const plain = plainSpec(spec.value);
      const bytes = encodeFrame(plain);
      const decoded = decodeFrame(bytes, plain.linkType ?? 1);
      const { tree } = buildDetailTree(decoded, { number: 1, timeEpoch: '0.000000000', time: 0, tcp: null });
      return { ok: true, bytes, decoded, tree };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  });

  const linkType = computed(() => spec.value.linkType ?? 1);

  /** The value the built frame carries for a field (what "auto" computed, or what was given). */
  function currentValue(layerIndex: number, name: string): FieldInput | undefined {
    const result = built.value;
    if (!result.ok) return undefined;
    const layer = spec.value.layers[layerIndex];
    if (!layer) return undefined;
    // The n-th layer of this kind in the spec is the n-th decoded layer of this kind.
    const nth = spec.value.layers.slice(0, layerIndex).filter((l) => l.layer === layer.layer).length;
    const decodedLayer = result.decoded.layers.filter((l) => l.kind === layer.layer && !l.quoted)[nth];
    return decodedLayer?.fields.find((f) => f.name === name)?.value;
  }

  function fieldRange(layerIndex: number, name: string): { offset: number; length: number } | null {
    const result = built.value;
    const layer = spec.value.layers[layerIndex];
    if (!result.ok || !layer) return null;
    const nth = spec.value.layers.slice(0, layerIndex).filter((l) => l.layer === layer.layer).length;
    const decodedLayer = result.decoded.layers.filter((l) => l.kind === layer.layer && !l.quoted)[nth];
    const field = decodedLayer?.fields.find((f) => f.name === name);
    return field ? { offset: field.offset, length: field.length } : null;
  }

  function isAuto(layerIndex: number, def: FieldDef): boolean {
    return def.auto !== undefined && spec.value.layers[layerIndex]?.fields[def.name] === undefined;
  }

  /** Sets a field from what was typed; out-of-range or malformed values are refused with the reason. */
  function setField(layerIndex: number, def: FieldDef, text: string): boolean {
    const key = `${layerIndex}:${def.name}`;
    const layer = spec.value.layers[layerIndex];
    if (!layer) return false;
    let value: FieldInput;
    try {
      const coerced = coerceFieldValue(def, def.type === 'uint' ? text.trim() : text);
      value = coerced instanceof Uint8Array ? (def.type === 'bytes' ? coerced : text.trim()) : coerced;
    } catch (error) {
      const reason = error instanceof EncodeError ? error.message.replace(`${def.name}: `, '') : String(error);
      const range = def.type === 'uint' ? ` (allowed ${def.min ?? 0}–${def.max})` : '';
      errors.value = { ...errors.value, [key]: { text, message: reason.includes('range') ? reason : `${reason}${range}` } };
      return false;
    }
    const next = { ...errors.value };
    delete next[key];
    errors.value = next;
    layer.fields[def.name] = value;
    return true;
  }

  /** Switching auto off keeps the computed value as the user's own; switching it on drops the override. */
  function setAuto(layerIndex: number, def: FieldDef, auto: boolean): void {
    const layer = spec.value.layers[layerIndex];
    if (!layer || !def.auto) return;
    if (auto) {
      layer.fields[def.name] = undefined;
      const next = { ...errors.value };
      delete next[`${layerIndex}:${def.name}`];
      errors.value = next;
    } else {
      layer.fields[def.name] = currentValue(layerIndex, def.name) ?? 0;
    }
  }

  function toggleFlag(layerIndex: number, def: FieldDef): void {
    const layer = spec.value.layers[layerIndex];
    if (!layer) return;
    layer.fields[def.name] = !(currentValue(layerIndex, def.name) === true);
  }

  // ------------------------------------------------------------ TCP options

  function tcpLayer(): LayerSpec | undefined {
    return spec.value.layers.find((l) => l.layer === 'tcp');
  }

  const DEFAULT_OPTIONS: Record<string, TcpOptionSpec> = {
    mss: { kind: 'mss', value: 1460 },
    wscale: { kind: 'wscale', shift: 7 },
    sack_perm: { kind: 'sack_perm' },
    sack: { kind: 'sack', blocks: [[1, 2]] },
    timestamp: { kind: 'timestamp', tsval: 1, tsecr: 0 },
    nop: { kind: 'nop' },
    eol: { kind: 'eol' },
    raw: { kind: 'raw', type: 254, data: new Uint8Array([0xf9, 0x89]) },
  };

  function addOption(kind: string): void {
    const layer = tcpLayer();
    const option = DEFAULT_OPTIONS[kind];
    if (!layer || !option) return;
    layer.tcpOptions = [...(layer.tcpOptions ?? []), { ...option }];
  }

  function removeOption(index: number): void {
    const layer = tcpLayer();
    if (!layer?.tcpOptions) return;
    layer.tcpOptions = layer.tcpOptions.filter((_, i) => i !== index);
    optionErrors.value = {}; // their indexes moved; the list shows the values the frame holds again
  }

  function moveOption(index: number, delta: -1 | 1): void {
    const layer = tcpLayer();
    const list = layer?.tcpOptions ? [...layer.tcpOptions] : [];
    const target = index + delta;
    if (!layer || target < 0 || target >= list.length) return;
    [list[index], list[target]] = [list[target], list[index]];
    layer.tcpOptions = list;
    optionErrors.value = {};
  }

  function replaceOption(index: number, option: TcpOptionSpec): void {
    const layer = tcpLayer();
    if (!layer?.tcpOptions) return;
    layer.tcpOptions = layer.tcpOptions.map((o, i) => (i === index ? option : o));
  }

  // ------------------------------------------------------------ payload

  const payload = computed(() => spec.value.layers.find((l) => l.layer === 'data')?.data ?? new Uint8Array(0));
  const payloadError = ref<string | null>(null);

  function setPayload(text: string, mode: PayloadMode): void {
    let bytes: Uint8Array;
    try {
      bytes = mode === 'hex' ? fromHex(text) : textAsPayload(text, lineBreak.value);
    } catch {
      payloadError.value = 'not hex: use pairs of 0-9a-f, optionally separated by spaces or colons';
      return;
    }
    payloadError.value = null;
    const layers = spec.value.layers.filter((l) => l.layer !== 'data');
    if (bytes.length > 0) layers.push({ layer: 'data', fields: {}, data: bytes });
    spec.value.layers = layers;
  }

  // ------------------------------------------------------------ starting points

  function load(next: FrameSpec, description: string): void {
    spec.value = next;
    errors.value = {};
    optionErrors.value = {};
    payloadError.value = null;
    lineBreak.value = lineBreakOf(next.layers.find((l) => l.layer === 'data')?.data ?? new Uint8Array(0));
    origin.value = description;
  }

  function loadTemplate(name: TemplateName): void {
    load(templateFrame(name), `template ${name.toUpperCase()}`);
  }

  /** Starting points beyond the TCP lifecycle: UDP, ICMP echo, and a SYN over IPv6 (test ranges only). */
  const OTHER_STARTS: Record<string, { label: string; build: () => FrameSpec }> = {
    udp: { label: 'UDP', build: () => udpFrame({ src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000, dstPort: 53, payload: 'hello\n' }) },
    icmp: { label: 'ICMP echo', build: () => icmpEchoFrame({ src: '198.18.0.1', dst: '198.18.0.2', ident: 1, sequence: 1, payload: 'ping' }) },
    syn6: {
      label: 'IPv6 SYN',
      build: () => tcpFrame({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 40000, dstPort: 80, flags: 'S', seq: 1000, options: linuxSynOptions() }),
    },
  };

  function loadOther(name: string): void {
    const start = OTHER_STARTS[name];
    if (start) load(start.build(), start.label);
  }

  /** "Edit as new": a captured frame's values, with lengths and checksums automatic again. */
  function editAsNew(bytesHex: string, frameLinkType: number, number: number): void {
    const decoded = decodeFrame(fromHex(bytesHex), frameLinkType);
    load(withAutomaticFields(specFromDecoded(decoded)), `frame ${number}`);
  }

  /** "Craft reply" on a connection, speaking as `side`, from that connection's last segments. */
  async function reply(kind: ReplyKind, stream: number, side: 'client' | 'server', lastFromClient: number | null, lastFromServer: number | null): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    const theirsIndex = side === 'client' ? lastFromServer : lastFromClient;
    const mineIndex = side === 'client' ? lastFromClient : lastFromServer;
    if (!sessionId || theirsIndex === null) {
      useUiStore().say(`no segment from the ${side === 'client' ? 'server' : 'client'} to answer in stream ${stream}`, true);
      return;
    }
    const api = useApi();
    const theirs = await api.getFrame({ sessionId, index: theirsIndex });
    const mine = mineIndex === null ? null : await api.getFrame({ sessionId, index: mineIndex });
    const decodedTheirs = decodeFrame(fromHex(theirs.bytesHex), theirs.linkType);
    const decodedMine = mine ? decodeFrame(fromHex(mine.bytesHex), mine.linkType) : null;
    load(craftReply(kind, decodedTheirs, decodedMine), `${kind} from the ${side} of stream ${stream}`);
  }

  /**
   * Why the frame cannot be sent or downloaded: every value refused in a field, an option or
   * the payload. The frame built keeps the last valid value, which is not what the user typed,
   * so it must not leave.
   */
  const blockers = computed<string[]>(() => {
    const reasons: string[] = [];
    for (const [key, error] of Object.entries(errors.value)) {
      const name = key.slice(key.indexOf(':') + 1);
      reasons.push(`${name} = "${error.text}": ${error.message}`);
    }
    for (const message of Object.values(optionErrors.value)) reasons.push(`TCP option ${message}`);
    if (payloadError.value) reasons.push(`payload: ${payloadError.value}`);
    if (!built.value.ok) reasons.push(built.value.error);
    return reasons;
  });

  function remember(): string | null {
    const result = built.value;
    if (!result.ok) return null;
    const hex = toHex(result.bytes);
    // The same frame downloaded, exported and sent is still one crafted frame.
    if (crafted.value[crafted.value.length - 1] !== hex) crafted.value = [...crafted.value, hex];
    return hex;
  }

  return {
    spec,
    errors,
    payloadMode,
    lineBreak,
    optionErrors,
    blockers,
    origin,
    crafted,
    focusedField,
    built,
    linkType,
    payload,
    payloadError,
    currentValue,
    fieldRange,
    isAuto,
    setField,
    setAuto,
    toggleFlag,
    addOption,
    removeOption,
    moveOption,
    replaceOption,
    setPayload,
    loadTemplate,
    loadOther,
    OTHER_STARTS,
    editAsNew,
    reply,
    remember,
    load,
  };
});
