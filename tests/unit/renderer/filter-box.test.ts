// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import FilterBox from '../../../renderer/src/components/FilterBox.vue';

describe('display filter box', () => {
  function setup(applied = '') {
    const wrapper = mount(FilterBox, { props: { applied } });
    const field = wrapper.get<HTMLInputElement>('[data-testid="filter-input"]');
    return { wrapper, field };
  }

  it('turns green for a valid expression and applies it on Enter', async () => {
    const { wrapper, field } = setup();
    await field.setValue('  tcp.flags.syn == 1 && ip.addr == 198.18.0.2 ');
    expect(wrapper.classes()).toContain('ok');
    expect(field.attributes('aria-invalid')).toBe('false');
    await field.trigger('keydown', { key: 'Enter' });
    expect(wrapper.emitted('apply')).toEqual([['tcp.flags.syn == 1 && ip.addr == 198.18.0.2']]);
  });

  it('turns red with the column and the reason, and refuses to apply', async () => {
    const { wrapper, field } = setup();
    await field.setValue('tcp.flags.syn == ');
    expect(wrapper.classes()).toContain('error');
    expect(field.attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="filter-status"]').text()).toBe("col 18: expected a value after '==', found the end of the filter");
    await field.trigger('keydown', { key: 'Enter' });
    expect(wrapper.emitted('apply')).toBeUndefined();
    expect(wrapper.get('[data-testid="filter-apply"]').attributes('disabled')).toBeDefined();
  });

  it('names a field the registry does not know', async () => {
    const { wrapper, field } = setup();
    await field.setValue('tcp.flgs.syn == 1');
    expect(wrapper.get('[data-testid="filter-status"]').text()).toContain("'tcp.flgs.syn' is not a known field name");
  });

  it('suggests field names for the word being typed and completes with Tab', async () => {
    const { wrapper, field } = setup();
    await field.setValue('tcp.analysis.retr');
    (field.element as HTMLInputElement).setSelectionRange(17, 17);
    await field.trigger('keyup');
    const options = wrapper.findAll('[role="option"]').map((o) => o.text());
    expect(options).toContain('tcp.analysis.retransmission');
    await field.trigger('keydown', { key: 'Tab' });
    await nextTick();
    expect(field.element.value).toBe(options[0]);
  });

  it('Escape goes back to the applied filter; Clear applies an empty one', async () => {
    const { wrapper, field } = setup('udp');
    await field.setValue('tcp');
    await field.trigger('keydown', { key: 'Escape' });
    expect(field.element.value).toBe('udp');
    await wrapper.get('button[aria-label="Clear the display filter"]').trigger('click');
    expect(wrapper.emitted('apply')).toEqual([['']]);
  });
});
