/**
 * `handshake connect/listen --step`: the endpoint proposes each segment, and a line read from
 * stdin decides: enter sends it, `set FIELD=VALUE …` changes it first, `skip` counts it as sent
 * but keeps it off the wire (as if lost), `close [fin|rst]` and `send TEXT` give the endpoint
 * more to do, `quit` ends without sending anything more. The UI's step mode does the same
 * through the API (electron/engine/endpoint-run.ts); both edit with shared/endpoint/edit.ts.
 */
import { createInterface, type Interface } from 'node:readline';
import { applySegmentEdit, parseSegmentEdit, segmentLine, SegmentEditError, type Proposal, type SegmentEdit } from '../../../shared/endpoint';
import type { EndpointChannel } from '../../engine/conversation-link';
import type { EndpointSession } from '../../engine/endpoint-session';

export const STEP_HELP = 'step mode: enter sends the proposed segment · set FIELD=VALUE … (seq ack flags win options) · skip · send TEXT · close [fin|rst] · quit';
/** Added to the help when several connections are held (listen --connections N --step). */
export const STEP_ROUTING_HELP = 'several connections: "@K LINE" speaks to connection K; a bare line goes to the one whose proposal was shown last; quit ends them all';

/**
 * stdin shared by the prompts of several conversations (listen --connections N --step): a line
 * "@K …" goes to connection K, any other line to the prompt that showed a proposal last, and
 * `quit` or the end of stdin to all of them.
 */
export class StepRouter {
  private readonly reader: Interface;
  private readonly prompts: StepPrompt[] = [];
  /** The prompt a bare line goes to. */
  current: StepPrompt | null = null;
  /** Lines typed before any connection could take them. */
  private readonly early: Array<string | null> = [];

  constructor(
    private readonly output: StepOutput,
    input: NodeJS.ReadableStream = process.stdin,
  ) {
    this.reader = createInterface({ input, terminal: false });
    this.reader.on('line', (line) => this.route(line));
    this.reader.on('close', () => this.route(null));
    const help = `${STEP_HELP}\n${STEP_ROUTING_HELP}`;
    if (output.record) output.record({ type: 'step-help', text: help });
    else output.say(help);
  }

  /** Connection K (1-based, in the order accepted) gets a prompt of its own. */
  add(prompt: StepPrompt): void {
    this.prompts.push(prompt);
    this.current ??= prompt;
    for (const line of this.early.splice(0)) this.route(line);
  }

  private route(line: string | null): void {
    if (line === null || /^\s*(quit|q)\s*$/i.test(line)) {
      if (this.prompts.length === 0) this.early.push(line);
      for (const prompt of this.prompts) prompt.deliver(line);
      return;
    }
    const addressed = /^\s*@(\d+)\s?(.*)$/.exec(line);
    if (addressed) {
      const target = this.prompts[Number(addressed[1]) - 1];
      if (!target) {
        const message = `no connection ${addressed[1]} (${this.prompts.length} accepted so far)`;
        if (this.output.record) this.output.record({ type: 'step-error', message });
        else this.output.say(`  ? ${message}`);
        return;
      }
      this.current = target;
      target.deliver(addressed[2]);
      return;
    }
    if (this.current) this.current.deliver(line);
    else this.early.push(line);
  }

  close(): void {
    this.reader.close();
    process.stdin.destroy();
  }
}

export interface StepOutput {
  /** A line for the user (text mode). */
  say(line: string): void;
  /** A record (--json). */
  record?: (record: Record<string, unknown>) => void;
}

function keyOf(proposal: Proposal): string {
  const { segment } = proposal;
  return `${proposal.reason} ${segment.seq} ${segment.ack} ${segment.flags} ${segment.window} ${segment.payload.length}`;
}

export class StepPrompt {
  private readonly lines: Array<string | null> = [];
  private readonly reader: Interface | null = null;
  private shownKey: string | null = null;
  private edit: SegmentEdit = {};
  /** Why the user ended the conversation (quit, or stdin ended). */
  quitReason: string | null = null;

  /**
   * Reads stdin itself, or (with a router, several conversations) takes the lines routed to it;
   * then its lines and records name the peer.
   */
  constructor(
    private readonly session: EndpointSession<EndpointChannel>,
    private readonly output: StepOutput,
    input: NodeJS.ReadableStream | StepRouter = process.stdin,
    private readonly peer: { name: string; index: number } | null = null,
  ) {
    if (input instanceof StepRouter) {
      this.router = input;
      input.add(this);
      return;
    }
    this.reader = createInterface({ input, terminal: false });
    this.reader.on('line', (line) => this.lines.push(line));
    this.reader.on('close', () => this.lines.push(null));
    this.say(STEP_HELP, { type: 'step-help', text: STEP_HELP });
  }

  private readonly router: StepRouter | null = null;

  /** A line routed here (null: stdin ended). */
  deliver(line: string | null): void {
    this.lines.push(line);
  }

  /** A line is waiting (the CLI's loop wakes for it). */
  get pending(): boolean {
    return this.lines.length > 0;
  }

  private say(text: string, record: Record<string, unknown>): void {
    const { peer } = this;
    if (this.output.record) this.output.record(peer ? { ...record, peer: peer.name, connection: peer.index } : record);
    else this.output.say(peer ? `[${peer.index} ${peer.name}] ${text}` : text);
  }

  private complain(message: string): void {
    this.say(`  ? ${message}`, { type: 'step-error', message });
  }

  private show(proposal: Proposal): void {
    const endpoint = this.session.endpoint;
    const edited = Object.keys(this.edit).length > 0;
    const line = segmentLine(endpoint, applySegmentEdit(endpoint, proposal.segment, this.edit), true);
    this.say(`next (${proposal.reason}${edited ? ', edited' : ''}): ${line}`, { type: 'proposal', reason: proposal.reason, edited, segment: line });
    if (this.router) this.router.current = this;
  }

  /** One turn of the CLI's loop: shows a new proposal, then acts on every line typed since. */
  async turn(): Promise<void> {
    const proposal = this.session.proposal();
    const key = proposal ? keyOf(proposal) : null;
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.edit = {};
      if (proposal) this.show(proposal);
    }
    while (this.lines.length > 0 && this.quitReason === null) {
      const line = this.lines.shift() as string | null;
      if (line === null) {
        this.quitReason = 'stdin ended';
        break;
      }
      await this.command(line.trim());
    }
  }

  private async command(line: string): Promise<void> {
    const [word] = line.split(/\s+/, 1);
    const rest = line.slice(word.length).trim();
    const endpoint = this.session.endpoint;
    switch (word.toLowerCase()) {
      case '': {
        const proposal = this.session.proposal();
        if (!proposal) return this.complain(`nothing to send now (${endpoint.stateName}): waiting for the peer or a timer`);
        if (keyOf(proposal) !== this.shownKey) {
          // What is on the screen is not what would go: show the new one instead of sending blind.
          this.shownKey = keyOf(proposal);
          this.edit = {};
          this.show(proposal);
          return this.complain('the proposal changed; enter sends this one');
        }
        const edited = Object.keys(this.edit).length > 0 ? applySegmentEdit(endpoint, proposal.segment, this.edit) : undefined;
        const sent = await this.session.step(edited);
        this.shownKey = null;
        if (sent) {
          const text = segmentLine(endpoint, sent, true);
          this.say(`sent: ${text}`, { type: 'stepped', action: 'sent', reason: proposal.reason, segment: text });
        }
        return;
      }
      case 'set': {
        const proposal = this.session.proposal();
        if (!proposal) return this.complain('nothing proposed to change');
        try {
          this.edit = { ...this.edit, ...parseSegmentEdit(rest) };
        } catch (error) {
          if (error instanceof SegmentEditError) return this.complain(error.message);
          throw error;
        }
        this.shownKey = keyOf(proposal);
        return this.show(proposal);
      }
      case 'skip': {
        const proposal = this.session.proposal();
        if (!proposal) return this.complain('nothing proposed to skip');
        const skipped = this.session.skip();
        this.shownKey = null;
        if (skipped) {
          const text = segmentLine(endpoint, skipped, true);
          this.say(`skipped (counted as sent, kept off the wire): ${text}`, { type: 'stepped', action: 'skipped', reason: proposal.reason, segment: text });
        }
        return;
      }
      case 'send': {
        if (!rest) return this.complain('send TEXT queues the text as data');
        try {
          this.session.write(new TextEncoder().encode(rest));
        } catch (error) {
          return this.complain(error instanceof Error ? error.message : String(error));
        }
        return;
      }
      case 'close': {
        const how = rest || 'fin';
        if (how !== 'fin' && how !== 'rst') return this.complain(`close takes fin or rst, not "${how}"`);
        this.session.close(how);
        return;
      }
      case 'quit':
      case 'q':
        this.quitReason = 'quit at the prompt';
        return;
      case 'help':
      case '?':
        return this.say(STEP_HELP, { type: 'step-help', text: STEP_HELP });
      default:
        return this.complain(`unknown command "${word}" (${STEP_HELP.replace('step mode: ', '')})`);
    }
  }

  close(): void {
    if (!this.reader) return; // the router's to close
    this.reader.close();
    process.stdin.destroy();
  }
}
