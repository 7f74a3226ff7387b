// @vitest-environment happy-dom
/**
 * The header editor's automatic fields and overrides, mounted as users see it. The
 * checksum oracle is Scapy: it recomputes the TCP checksum of the same bytes itself.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { spawnSync } from 'node:child_process';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { WorkbenchApi } from '../../../shared/api';
import { toHex } from '../../../shared/wire/bytes';
import HeaderEditor from '../../../renderer/src/components/HeaderEditor.vue';
import { setApi } from '../../../renderer/src/api/instance';
import { useEditorStore } from '../../../renderer/src/stores/editor';

const SYSTEM_PYTHON = '/usr/bin/python3';
const haveScapy = spawnSync(SYSTEM_PYTHON, ['-c', 'import scapy.all']).status === 0;

/** Scapy's own TCP checksum for these Ethernet/IP/TCP bytes (it deletes ours and recomputes). */
function scapyTcpChecksum(bytes: Uint8Array): number {
  const script = `from scapy.all import *\np = Ether(bytes.fromhex("${toHex(bytes)}"))\ndel p[TCP].chksum\nprint(Ether(bytes(p))[TCP].chksum)`;
  const result = spawnSync(SYSTEM_PYTHON, ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return Number(result.stdout.trim());
}

function builtBytes(): Uint8Array {
  const built = useEditorStore().built;
  if (!built.ok) throw new Error(built.error);
  return built.bytes;
}

describe('header editor: automatic fields and overrides', () => {
  let wrapper: VueWrapper;

  beforeEach(() => {
    setActivePinia(createPinia());
    setApi({} as unknown as WorkbenchApi);
    wrapper = mount(HeaderEditor);
  });
  afterEach(() => wrapper.unmount());

  const input = (name: string) => wrapper.get<HTMLInputElement>(`[data-testid="input-${name}"]`);
  const hint = (name: string) => wrapper.get(`[data-field="${name}"] .hint`).text();
  async function type(name: string, text: string) {
    await input(name).setValue(text);
    await nextTick();
  }

  it.skipIf(!haveScapy)('shows the live TCP checksum, recomputed when a covered field changes', async () => {
    await wrapper.get('[data-testid="template-syn"]').trigger('click');
    const first = Number(input('tcp.checksum').element.value);
    expect(input('tcp.checksum').attributes('readonly')).toBeDefined();
    expect(first).toBe(scapyTcpChecksum(builtBytes()));
    await type('tcp.dstport', '8443');
    const second = Number(input('tcp.checksum').element.value);
    expect(second).not.toBe(first);
    expect(second).toBe(scapyTcpChecksum(builtBytes()));
  });

  it('refuses an out-of-range value at the field with the range, leaving the frame as it was', async () => {
    await type('tcp.dstport', '8443');
    const before = toHex(builtBytes());
    await type('tcp.dstport', '70000');
    expect(hint('tcp.dstport')).toMatch(/out of range 0\.\.65535/);
    expect(input('tcp.dstport').attributes('aria-invalid')).toBe('true');
    expect(toHex(builtBytes())).toBe(before);
    await type('ip.ttl', '256');
    expect(hint('ip.ttl')).toMatch(/0\.\.255/);
  });

  it('an invalid field blocks Send, Download and Export and says why; a valid value unblocks them', async () => {
    const send = () => wrapper.get<HTMLButtonElement>('[data-testid="send"]');
    const download = () => wrapper.get<HTMLButtonElement>('[data-testid="download-pcap"]');
    const exportButton = () => wrapper.get<HTMLButtonElement>('[data-testid="export"]');
    expect(download().element.disabled).toBe(false);
    await type('tcp.dstport', '70000');
    expect(download().element.disabled).toBe(true);
    expect(send().element.disabled).toBe(true);
    expect(exportButton().element.disabled).toBe(true);
    const reason = wrapper.get('[data-testid="send-blocked"]').text();
    expect(reason).toContain('tcp.dstport = "70000"');
    expect(reason).toMatch(/0\.\.65535/);
    expect(download().attributes('title')).toContain('tcp.dstport');
    // A bad TCP option value and a bad hex payload block as well.
    await type('tcp.dstport', '8080');
    expect(download().element.disabled).toBe(false);
    expect(wrapper.find('[data-testid="send-blocked"]').exists()).toBe(false);
    const editor = useEditorStore();
    editor.setPayload('zz', 'hex');
    await nextTick();
    expect(download().element.disabled).toBe(true);
    expect(wrapper.get('[data-testid="send-blocked"]').text()).toContain('payload: not hex');
    editor.setPayload('00ff', 'hex');
    await nextTick();
    expect(download().element.disabled).toBe(false);
  });

  it('a text payload keeps CRLF line breaks: typed, shown and re-typed, the bytes stay CR LF', async () => {
    await wrapper.get('[data-testid="template-data"]').trigger('click');
    const payload = wrapper.get<HTMLTextAreaElement>('[data-testid="payload"]');
    // What a browser hands over for a typed HTTP request: LF only (the textarea normalises).
    await payload.setValue('GET / HTTP/1.1\nHost: a\n\n');
    await nextTick();
    const expected = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const data = () => {
      const bytes = builtBytes();
      return Buffer.from(bytes.subarray(bytes.length - useEditorStore().payload.length));
    };
    expect(data().equals(expected)).toBe(true);
    // Editing the shown text again (one more character) keeps every CR.
    expect(payload.element.value).toBe('GET / HTTP/1.1\nHost: a\n\n');
    await payload.setValue(`${payload.element.value}x`);
    await nextTick();
    expect(data().equals(Buffer.concat([expected, Buffer.from('x')]))).toBe(true);
    // LF line breaks when chosen; a pasted CR LF is still one line break.
    await wrapper.get('[data-testid="line-break"]').setValue('lf');
    await payload.setValue('a\r\nb\n');
    await nextTick();
    expect(data().equals(Buffer.from('a\nb\n'))).toBe(true);
    // Bytes the text view cannot show exactly (a lone CR) are flagged, not silently rewritten.
    useEditorStore().setPayload('610d62', 'hex');
    await nextTick();
    expect(wrapper.find('[data-testid="payload-inexact"]').exists()).toBe(true);
  });

  it.skipIf(!haveScapy)('an override is written as given and survives other edits; auto again recomputes', async () => {
    await wrapper.get('[data-testid="auto-tcp.checksum"]').setValue(false);
    expect(input('tcp.checksum').attributes('readonly')).toBeUndefined();
    await type('tcp.checksum', '0x1234');
    expect(hint('tcp.checksum')).toBe('override');
    const bytes = builtBytes();
    // Ethernet 14 + IPv4 20 + 16: the TCP checksum field.
    expect(toHex(bytes.subarray(50, 52))).toBe('1234');
    await type('tcp.srcport', '41000');
    expect(toHex(builtBytes().subarray(50, 52))).toBe('1234');
    expect(wrapper.get('[data-testid="editor-tree"]').text()).toContain('Checksum status: Bad');
    await wrapper.get('[data-testid="auto-tcp.checksum"]').setValue(true);
    expect(Number(input('tcp.checksum').element.value)).toBe(scapyTcpChecksum(builtBytes()));
  });

  it('keeps lengths and the data offset automatic: IP total length = 20 + TCP header + payload', async () => {
    await wrapper.get('[data-testid="template-syn"]').trigger('click');
    expect(input('tcp.hdr_len').element.value).toBe('40');
    await wrapper.get('[data-testid="payload"]').setValue('hello');
    await nextTick();
    expect(input('ip.len').element.value).toBe(String(20 + 40 + 5));
    // Overriding the IP length writes a lie on purpose; the decode tree flags it.
    await wrapper.get('[data-testid="auto-ip.len"]').setValue(false);
    await type('ip.len', '40');
    expect(hint('ip.len')).toBe('override');
    expect(toHex(builtBytes().subarray(16, 18))).toBe('0028');
  });

  it('other starting points build UDP, ICMP echo and IPv6 frames with their own automatic fields', async () => {
    await wrapper.get('[data-testid="start-udp"]').trigger('click');
    // UDP length = 8-byte header + 6 bytes of "hello\n" (RFC 768).
    expect(input('udp.length').element.value).toBe('14');
    await wrapper.get('[data-testid="start-icmp"]').trigger('click');
    expect(input('icmp.type').element.value).toBe('8');
    await wrapper.get('[data-testid="start-syn6"]').trigger('click');
    // IPv6 payload length = the TCP header with Linux's SYN options: 20 + 20 bytes.
    expect(input('ipv6.plen').element.value).toBe('40');
    expect(wrapper.get('[data-testid="editor-tree"]').text()).toContain('Internet Protocol Version 6');
  });

  it('flags are toggles over the 12-bit field', async () => {
    await wrapper.get('[data-testid="template-syn"]').trigger('click');
    await wrapper.get('[data-testid="flag-tcp.flags.ack"]').trigger('click');
    expect(input('tcp.flags').element.value).toBe('0x012');
    expect(wrapper.get('[data-testid="flag-tcp.flags.ack"]').attributes('aria-pressed')).toBe('true');
    await wrapper.get('[data-testid="flag-tcp.flags.syn"]').trigger('click');
    expect(input('tcp.flags').element.value).toBe('0x010');
  });
});
