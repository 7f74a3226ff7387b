import { describe, expect, it } from 'vitest';
import { applySegmentEdit, parseSegmentEdit, SegmentEditError, TcpEndpoint } from '../../../shared/endpoint';

describe('step mode edits (set FIELD=VALUE)', () => {
  it('reads flags and options as a script line writes them', () => {
    expect(parseSegmentEdit('flags=P. win=0 options=<mss 536, nop,wscale 2>')).toEqual({
      flags: 0x18,
      window: 0,
      options: [{ kind: 'mss', value: 536 }, { kind: 'nop' }, { kind: 'wscale', shift: 2 }],
    });
    expect(parseSegmentEdit('options=<>')).toEqual({ options: [] });
  });

  it.each([
    ['win=65536', /0\.\.65535/],
    ['seq=-1', /seq must be/],
    ['flags=Q', /unknown TCP flag "Q"/],
    ['options=<...>', /checks nothing/],
    ['colour=red', /unknown field "colour"/],
    ['win 5', /not field=value/],
  ])('%s is refused with its reason', (text, reason) => {
    expect(() => parseSegmentEdit(text)).toThrow(SegmentEditError);
    expect(() => parseSegmentEdit(text)).toThrow(reason);
  });

  it('makes seq and ack absolute against the ISNs (wrapping at 2^32)', () => {
    const endpoint = new TcpEndpoint({ isn: 0xfffffff0, step: true });
    endpoint.open();
    const proposal = endpoint.proposal(0);
    expect(proposal?.reason).toBe('syn');
    const edited = applySegmentEdit(endpoint, proposal!.segment, { seq: 0x20, flags: 0x02, window: 7 });
    expect(edited.seq).toBe(0x10);
    expect(edited.window).toBe(7);
    expect(proposal!.segment.window).not.toBe(7);
  });
});
