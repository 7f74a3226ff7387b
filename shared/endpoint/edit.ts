/**
 * Step mode's editing, shared by the UI (the API's endpointStep) and `handshake connect/listen
 * --step`: a segment shown in script syntax with numbers relative to the ISNs, and the user's
 * changes (`seq=1 flags=P. win=0 options=<mss 536,nop>`) applied back in absolute numbers.
 */
import type { TcpOptionSpec } from '../craft/spec';
import { formatSegment, parseScript, ScriptSyntaxError, type ScriptOption } from '../conversation/script';
import type { EndpointSegment, TcpEndpoint } from './endpoint';

export interface SegmentEdit {
  /** Relative to our ISN. */
  seq?: number;
  /** Relative to the peer's ISN. */
  ack?: number;
  flags?: number;
  window?: number;
  options?: TcpOptionSpec[];
}

/** The fields `set` knows, as written on the prompt. */
export const EDITABLE_FIELDS = ['seq', 'ack', 'flags', 'win', 'options'] as const;

export class SegmentEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentEditError';
  }
}

function scriptOptions(options: readonly TcpOptionSpec[]): ScriptOption[] {
  return options.flatMap((option): ScriptOption[] => (option.kind === 'tfo' || option.kind === 'raw' ? [] : [option]));
}

/** One segment in script syntax, ours (`<`) relative to our ISN and the peer's ACK base, or the peer's (`>`) the other way round. */
export function segmentLine(endpoint: TcpEndpoint, segment: EndpointSegment, ours: boolean, payloadLimit = 64): string {
  const seqStart = ours ? endpoint.relativeSent(segment.seq) : endpoint.relativeReceived(segment.seq);
  const ackBase = ours ? (endpoint.irs ?? 0) : endpoint.iss;
  return formatSegment(
    {
      flags: segment.flags,
      seqStart,
      length: segment.payload.length,
      ack: segment.flags & 0x10 ? (segment.ack - ackBase) >>> 0 : null,
      window: segment.window,
      options: scriptOptions(segment.options),
      payload: segment.payload,
    },
    payloadLimit,
  );
}

function u32Field(name: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new SegmentEditError(`${name} must be 0..4294967295, not "${text}"`);
  return Number(text);
}

/** Parses `field=value …` (fields: seq, ack, flags, win, options); values as a script writes them. */
export function parseSegmentEdit(text: string): SegmentEdit {
  const edit: SegmentEdit = {};
  // options=<…> may hold spaces and commas: take it whole.
  const assignments = text.trim().match(/[a-z]+=(<[^>]*>|\S+)/gi) ?? [];
  const rest = text.replace(/[a-z]+=(<[^>]*>|\S+)/gi, '').trim();
  if (rest.length > 0) throw new SegmentEditError(`"${rest}" is not field=value (fields: ${EDITABLE_FIELDS.join(', ')})`);
  if (assignments.length === 0) throw new SegmentEditError(`give field=value (fields: ${EDITABLE_FIELDS.join(', ')})`);
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    const name = assignment.slice(0, equals).toLowerCase();
    const value = assignment.slice(equals + 1);
    switch (name) {
      case 'seq':
        edit.seq = u32Field('seq', value);
        break;
      case 'ack':
        edit.ack = u32Field('ack', value);
        break;
      case 'win':
      case 'window':
        if (!/^\d+$/.test(value) || Number(value) > 65535) throw new SegmentEditError(`win is the 16-bit window field: 0..65535, not "${value}"`);
        edit.window = Number(value);
        break;
      case 'flags':
        edit.flags = parseLine(`${value} 0:0(0)`, 'flags').flags;
        break;
      case 'options': {
        if (/^<\s*>$/.test(value)) {
          edit.options = [];
          break;
        }
        const options = parseLine(`. 0:0(0) ${value}`, 'options').options;
        if (options === 'any') throw new SegmentEditError('options=<...> checks nothing; give the options to send, or <> for none');
        edit.options = options ?? [];
        break;
      }
      default:
        throw new SegmentEditError(`unknown field "${name}" (fields: ${EDITABLE_FIELDS.join(', ')})`);
    }
  }
  return edit;
}

/** The script's own parser reads flags and options, so they are written exactly as in a script line. */
function parseLine(segment: string, field: string) {
  try {
    const step = parseScript(`0 < ${segment}`).steps[0];
    if (!step) throw new SegmentEditError(`"${segment}" is not a segment`);
    return step;
  } catch (error) {
    if (error instanceof ScriptSyntaxError) throw new SegmentEditError(`bad ${field}: ${error.reason}`);
    throw error;
  }
}

/** The segment with the user's changes, numbers made absolute against the endpoint's ISNs. */
export function applySegmentEdit(endpoint: TcpEndpoint, segment: EndpointSegment, edit: SegmentEdit): EndpointSegment {
  const edited = { ...segment };
  if (edit.seq !== undefined) edited.seq = (endpoint.iss + edit.seq) >>> 0;
  if (edit.ack !== undefined) edited.ack = ((endpoint.irs ?? 0) + edit.ack) >>> 0;
  if (edit.flags !== undefined) edited.flags = edit.flags;
  if (edit.window !== undefined) edited.window = edit.window;
  if (edit.options !== undefined) edited.options = edit.options;
  return edited;
}
