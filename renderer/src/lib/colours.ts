/**
 * Row colouring rules, in priority order (first match wins), and the legend that
 * explains them. One table drives both so the legend can never disagree with the list.
 */
import { ROW_MARK } from '../../../shared/api';

export interface ColourRule {
  /** CSS class suffix: `row-<name>`. */
  name: string;
  label: string;
  test(marks: number): boolean;
}

export const COLOUR_RULES: readonly ColourRule[] = [
  { name: 'malformed', label: 'Malformed', test: (m) => (m & ROW_MARK.MALFORMED) !== 0 },
  { name: 'bad-checksum', label: 'Bad checksum', test: (m) => (m & ROW_MARK.BAD_CHECKSUM) !== 0 },
  { name: 'rst', label: 'RST', test: (m) => (m & ROW_MARK.RST) !== 0 },
  { name: 'retransmission', label: 'Retransmission', test: (m) => (m & ROW_MARK.RETRANSMISSION) !== 0 },
  { name: 'warning', label: 'Other analysis warning', test: (m) => (m & ROW_MARK.WARNING) !== 0 },
  { name: 'crafted', label: 'Sent from the editor', test: (m) => (m & ROW_MARK.CRAFTED) !== 0 },
  { name: 'handshake', label: 'Handshake (SYN / SYN-ACK / ACK)', test: (m) => (m & (ROW_MARK.HANDSHAKE | ROW_MARK.SYN)) !== 0 },
  { name: 'teardown', label: 'Teardown (FIN and its ACKs)', test: (m) => (m & (ROW_MARK.TEARDOWN | ROW_MARK.FIN)) !== 0 },
];

export function rowColour(marks: number): string {
  for (const rule of COLOUR_RULES) if (rule.test(marks)) return `row-${rule.name}`;
  return 'row-plain';
}
