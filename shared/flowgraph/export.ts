/**
 * The flow graph as text (a tshark-like diagram), SVG, PlantUML and Mermaid. Each writer is a
 * generator of chunks over a window of rows, so a huge graph streams to a file instead of
 * being built as one string.
 */
import type { FlowGraph, FlowRow } from './model';

export type FlowFormat = 'text' | 'svg' | 'plantuml' | 'mermaid';
export const FLOW_FORMATS: readonly FlowFormat[] = ['text', 'svg', 'plantuml', 'mermaid'];

export interface FlowExportOptions {
  /** First row and how many (default: all). */
  start?: number;
  count?: number;
  /** A line saying why the export stops short (a size cap), written as a comment. */
  truncatedNote?: string;
}

const TCP_RST = 0x004;

function rowRange(graph: FlowGraph, options: FlowExportOptions): [number, number] {
  const start = Math.max(0, Math.min(graph.length, options.start ?? 0));
  const end = Math.min(graph.length, start + (options.count ?? graph.length));
  return [start, end];
}

/** Rows in batches, so no writer holds more than a batch of row objects. */
function* eachRow(graph: FlowGraph, options: FlowExportOptions): Generator<FlowRow> {
  const [start, end] = rowRange(graph, options);
  for (let i = start; i < end; i += 1024) yield* graph.rows(i, Math.min(1024, end - i));
}

/** "CLOSED→SYN_SENT" when the frame changed the state, else the state; '' for untracked frames. */
export function stateText(before: string, after: string): string {
  return before === after ? after : `${before}→${after}`;
}

function isReset(row: FlowRow): boolean {
  return row.label.startsWith('RST') || /(^|, )RST(,|$| )/.test(row.label);
}

/** The message text of the diagram formats: frame, label, Wireshark's comment. */
function messageText(row: FlowRow): string {
  return `${row.frame}. ${row.label} (${row.comment})`;
}

/** A note's text for a connection end whose state the frame changed, or null. */
function stateNotes(row: FlowRow): Array<{ node: number; text: string }> {
  const notes: Array<{ node: number; text: string }> = [];
  if (row.stream < 0) return notes;
  if (row.senderBefore !== row.senderAfter) notes.push({ node: row.from, text: `tcp.stream ${row.stream} ${row.fromClient ? 'client' : 'server'}: ${row.senderAfter}` });
  if (row.receiverBefore !== row.receiverAfter) notes.push({ node: row.to, text: `tcp.stream ${row.stream} ${row.fromClient ? 'server' : 'client'}: ${row.receiverAfter}` });
  return notes;
}

// ------------------------------------------------------------------ Mermaid

/**
 * Text safe in a Mermaid sequence diagram: `;` ends a statement and `#` starts an entity, `<`/`>`
 * would be HTML (a `<br>`), line breaks end the line; all of them become entity codes.
 */
export function mermaidText(text: string): string {
  return text.replace(/[#;<>&"\r\n%{}]/g, (c) => `#${c.charCodeAt(0)};`);
}

export function* mermaidChunks(graph: FlowGraph, options: FlowExportOptions = {}): Generator<string> {
  yield 'sequenceDiagram\n';
  if (options.truncatedNote) yield `    %% ${options.truncatedNote.replace(/[\r\n]/g, ' ')}\n`;
  for (let i = 0; i < graph.nodes.length; i++) yield `    participant N${i} as ${mermaidText(graph.nodes[i])}\n`;
  let batch = '';
  for (const row of eachRow(graph, options)) {
    batch += `    N${row.from}${isReset(row) ? '-x' : '->>'}N${row.to}: ${mermaidText(messageText(row))}\n`;
    for (const note of stateNotes(row)) batch += `    Note over N${note.node}: ${mermaidText(note.text)}\n`;
    if (batch.length > 65_536) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

// ------------------------------------------------------------------ PlantUML

/**
 * Text safe in a PlantUML message or note, checked against PlantUML's own renderer: `~` (its
 * escape character) goes before every character that can start creole markup (`**` `//` `""`
 * `--` `__`, `<b>` tags, `[[links]]`, `#` colours); a backslash is doubled, so `\n` stays two
 * characters; `~` itself is written as the code point `<U+007E>`; line breaks become spaces.
 */
export function plantumlText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[~\\*/"\-_<[\]#]/g, (c) => (c === '~' ? '<U+007E>' : c === '\\' ? '\\\\' : `~${c}`));
}

/** A participant's display name goes in double quotes, which cannot be escaped there: they become single quotes. */
function plantumlName(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/"/g, "'");
}

export function* plantumlChunks(graph: FlowGraph, options: FlowExportOptions = {}): Generator<string> {
  yield '@startuml\n';
  if (options.truncatedNote) yield `' ${options.truncatedNote.replace(/[\r\n]/g, ' ')}\n`;
  for (let i = 0; i < graph.nodes.length; i++) yield `participant "${plantumlName(graph.nodes[i])}" as N${i}\n`;
  let batch = '';
  for (const row of eachRow(graph, options)) {
    batch += `N${row.from} ${isReset(row) ? '->x' : '->'} N${row.to} : ${plantumlText(messageText(row))}\n`;
    for (const note of stateNotes(row)) batch += `note over N${note.node} : ${plantumlText(note.text)}\n`;
    if (batch.length > 65_536) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
  yield '@enduml\n';
}

// ------------------------------------------------------------------ SVG

export function xmlText(text: string): string {
  // Characters XML 1.0 forbids (most C0 controls) cannot even be escaped: they become U+FFFD.
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Geometry shared by the SVG export and the UI's drawing. */
export const FLOW_LAYOUT = { gutter: 230, spacing: 190, rowHeight: 40, header: 44, comment: 260 } as const;

export function nodeX(node: number): number {
  return FLOW_LAYOUT.gutter + FLOW_LAYOUT.spacing / 2 + node * FLOW_LAYOUT.spacing;
}

export function* svgChunks(graph: FlowGraph, options: FlowExportOptions = {}): Generator<string> {
  const [start, end] = rowRange(graph, options);
  const { gutter, spacing, rowHeight, header, comment } = FLOW_LAYOUT;
  const width = gutter + Math.max(1, graph.nodes.length) * spacing + comment;
  const height = header + (end - start) * rowHeight + (options.truncatedNote ? rowHeight : 10);
  yield `<?xml version="1.0" encoding="UTF-8"?>\n`;
  yield `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">\n`;
  yield `<title>TCP flow graph</title>\n`;
  yield `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f4e9c"/></marker></defs>\n`;
  yield `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>\n`;
  yield `<text x="6" y="18" font-weight="bold">Time</text><text x="86" y="18" font-weight="bold">Frame</text><text x="140" y="18" font-weight="bold">Stream</text>\n`;
  let heads = '';
  for (let i = 0; i < graph.nodes.length; i++) {
    const x = nodeX(i);
    // Long names alternate between two lines, as Wireshark staggers them.
    heads += `<text x="${x}" y="${i % 2 === 0 ? 16 : 32}" text-anchor="middle" font-weight="bold">${xmlText(graph.nodes[i])}</text>`;
    heads += `<line x1="${x}" y1="${header - 6}" x2="${x}" y2="${height}" stroke="#999999" stroke-dasharray="3,3"/>\n`;
  }
  yield heads;
  yield `<text x="${gutter + graph.nodes.length * spacing + 8}" y="18" font-weight="bold">Comment</text>\n`;
  let batch = '';
  let y = header;
  for (const row of eachRow(graph, options)) {
    const x1 = nodeX(row.from);
    const x2 = nodeX(row.to);
    const mid = y + rowHeight / 2;
    const colour = isReset(row) ? '#b3261e' : '#1f4e9c';
    batch += `<g data-frame="${row.frame}" data-stream="${row.stream}">`;
    batch += `<text x="6" y="${mid + 4}">${row.time.toFixed(6)}</text><text x="86" y="${mid + 4}">${row.frame}</text><text x="140" y="${mid + 4}">${row.stream < 0 ? '' : row.stream}</text>`;
    if (x1 === x2) {
      batch += `<path d="M${x1},${mid - 6} h30 v12 h-28" fill="none" stroke="${colour}" marker-end="url(#arrow)"/>`;
      batch += `<text x="${x1 + 34}" y="${mid - 6}">${xmlText(row.label)}</text>`;
    } else {
      batch += `<line x1="${x1}" y1="${mid}" x2="${x2}" y2="${mid}" stroke="${colour}" stroke-width="1.5" marker-end="url(#arrow)"/>`;
      batch += `<text x="${(x1 + x2) / 2}" y="${mid - 5}" text-anchor="middle">${xmlText(row.label)}</text>`;
      if (graph.mode === 'addresses') {
        const left = x1 < x2;
        batch += `<text x="${x1 + (left ? 4 : -4)}" y="${mid + 12}" text-anchor="${left ? 'start' : 'end'}" fill="#555555" font-size="9">${row.srcPort}</text>`;
        batch += `<text x="${x2 + (left ? -4 : 4)}" y="${mid + 12}" text-anchor="${left ? 'end' : 'start'}" fill="#555555" font-size="9">${row.dstPort}</text>`;
      }
    }
    if (row.stream >= 0) {
      // Each end's state under its lifeline: before→after when the frame changed it.
      batch += `<text x="${x1}" y="${mid + 16}" text-anchor="middle" font-size="9" fill="${row.senderBefore === row.senderAfter ? '#666666' : '#0a7a2f'}" class="state">${xmlText(stateText(row.senderBefore, row.senderAfter))}</text>`;
      if (x1 !== x2) batch += `<text x="${x2}" y="${mid + 16}" text-anchor="middle" font-size="9" fill="${row.receiverBefore === row.receiverAfter ? '#666666' : '#0a7a2f'}" class="state">${xmlText(stateText(row.receiverBefore, row.receiverAfter))}</text>`;
    }
    batch += `<text x="${gutter + graph.nodes.length * spacing + 8}" y="${mid + 4}">${xmlText(row.comment)}</text></g>\n`;
    y += rowHeight;
    if (batch.length > 65_536) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
  if (options.truncatedNote) yield `<text x="6" y="${y + rowHeight / 2}" fill="#b3261e">${xmlText(options.truncatedNote)}</text>\n`;
  yield '</svg>\n';
}

// ------------------------------------------------------------------ text

const CELL = 22;

function centred(text: string, width: number): string {
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  const left = Math.floor((width - cut.length) / 2);
  return ' '.repeat(left) + cut + ' '.repeat(width - cut.length - left);
}

/**
 * tshark's `-z flow` layout: a lifeline per column, each frame a label line and an arrow line
 * between its two columns (ports at the ends), its tcp.stream and time at the left, and at the
 * right Wireshark's comment and each end's state (sender, then receiver).
 */
export function* textChunks(graph: FlowGraph, options: FlowExportOptions = {}): Generator<string> {
  const n = Math.max(1, graph.nodes.length);
  // One spare cell on the right: a self-arrow (loopback, one address) writes its label beside its lifeline.
  const lineWidth = (n + 1) * CELL;
  const lifelines = () => {
    const chars = new Array<string>(lineWidth).fill(' ');
    for (let i = 0; i < graph.nodes.length; i++) chars[i * CELL + CELL / 2] = '|';
    return chars;
  };
  const head1 = new Array<string>(lineWidth).fill(' ');
  const head2 = new Array<string>(lineWidth).fill(' ');
  for (let i = 0; i < graph.nodes.length; i++) {
    const target = i % 2 === 0 ? head1 : head2;
    const name = graph.nodes[i];
    const at = Math.max(0, i * CELL + CELL / 2 - Math.floor(name.length / 2));
    for (let k = 0; k < name.length && at + k < lineWidth + 40; k++) target[at + k] = name[k];
  }
  yield `Conv.| Time       | Frame   |${head1.join('').trimEnd()}\n`;
  yield `     |            |         |${head2.join('').trimEnd()}\n`;
  if (options.truncatedNote) yield `# ${options.truncatedNote}\n`;
  let batch = '';
  let previousStream = Number.NaN;
  for (const row of eachRow(graph, options)) {
    if (!Number.isNaN(previousStream) && row.stream !== previousStream) batch += `${'-'.repeat(28 + lineWidth)}\n`;
    previousStream = row.stream;
    const top = lifelines();
    const bottom = lifelines();
    const a = row.from * CELL + CELL / 2;
    const b = row.to * CELL + CELL / 2;
    if (a === b) {
      const label = `↺ ${row.label}`;
      for (let k = 0; k < label.length && a + 2 + k < lineWidth; k++) top[a + 2 + k] = label[k];
      const port = `(${row.srcPort}→${row.dstPort})`;
      for (let k = 0; k < port.length && a + 2 + k < lineWidth; k++) bottom[a + 2 + k] = port[k];
    } else {
      const left = Math.min(a, b);
      const right = Math.max(a, b);
      const label = centred(row.label, right - left - 1);
      for (let k = 0; k < label.length; k++) top[left + 1 + k] = label[k];
      const span = right - left - 1;
      const leftPort = graph.mode === 'addresses' ? `(${a < b ? row.srcPort : row.dstPort}) ` : '';
      const rightPort = graph.mode === 'addresses' ? ` (${a < b ? row.dstPort : row.srcPort})` : '';
      const withPorts = span - leftPort.length - rightPort.length >= 4;
      const inner = withPorts ? span - leftPort.length - rightPort.length : span;
      const shaft = a < b ? `${'-'.repeat(inner - 1)}>` : `<${'-'.repeat(inner - 1)}`;
      const arrow = withPorts ? leftPort + shaft + rightPort : shaft;
      for (let k = 0; k < span; k++) bottom[left + 1 + k] = arrow[k];
    }
    const states = row.stream < 0 ? '' : `  ${stateText(row.senderBefore, row.senderAfter)} / ${stateText(row.receiverBefore, row.receiverAfter)}`;
    const conv = row.stream < 0 ? '' : String(row.stream);
    batch += `${conv.padEnd(5)}|${row.time.toFixed(6).padStart(11)} |${String(row.frame).padStart(8)} |${top.join('')}|${row.comment}\n`;
    batch += `     |            |         |${bottom.join('')}|${states}\n`;
    if (batch.length > 65_536) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

export function flowChunks(graph: FlowGraph, format: FlowFormat, options: FlowExportOptions = {}): Generator<string> {
  switch (format) {
    case 'svg':
      return svgChunks(graph, options);
    case 'plantuml':
      return plantumlChunks(graph, options);
    case 'mermaid':
      return mermaidChunks(graph, options);
    default:
      return textChunks(graph, options);
  }
}

/** The whole export as one string (bounded callers only: the UI caps the rows). */
export function flowExport(graph: FlowGraph, format: FlowFormat, options: FlowExportOptions = {}): string {
  let out = '';
  for (const chunk of flowChunks(graph, format, options)) out += chunk;
  return out;
}
