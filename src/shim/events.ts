// Task events to containerd, in order, through its ttrpc Events service
// (containerd.services.events.ttrpc.v1.Events/Forward on $TTRPC_ADDRESS), as
// containerd's own shims publish them. One event is in flight at a time; a
// failed forward is retried a few times, then dropped with a log line.
import { encode, type Input, type MessageType } from './proto/codec';
import { ForwardRequest, TaskCreate, TaskDelete, TaskExecAdded, TaskExecStarted, TaskExit, TaskOOM, TaskPaused, TaskResumed, TaskStart } from './proto/messages';
import { TtrpcClient } from './ttrpc/client';
import { timestamp } from './time';

/** containerd's topic for each event type (runtime/events.go). */
const TOPICS = new Map<MessageType<unknown>, string>([
  [TaskCreate, '/tasks/create'],
  [TaskStart, '/tasks/start'],
  [TaskExit, '/tasks/exit'],
  [TaskOOM, '/tasks/oom'],
  [TaskDelete, '/tasks/delete'],
  [TaskExecAdded, '/tasks/exec-added'],
  [TaskExecStarted, '/tasks/exec-started'],
  [TaskPaused, '/tasks/paused'],
  [TaskResumed, '/tasks/resumed'],
]);

export type TaskEvent = MessageType<unknown>;

const FORWARD_TIMEOUT_MS = 5_000;
const MAX_ATTEMPTS = 5;

interface Queued {
  envelope: Uint8Array;
  topic: string;
  attempts: number;
}

export interface Publisher {
  publish<M extends TaskEvent>(type: M, event: Input<M>): void;
  /** resolves once every queued event was forwarded (or given up on) */
  drain(): Promise<void>;
  close(): void;
}

export class TtrpcPublisher implements Publisher {
  private readonly client: TtrpcClient;
  private readonly queue: Queued[] = [];
  private running = false;
  private idle: Array<() => void> = [];

  constructor(
    ttrpcAddress: string,
    private readonly namespace: string,
    private readonly onDrop: (topic: string, err: Error) => void,
  ) {
    this.client = new TtrpcClient(ttrpcAddress.replace(/^unix:\/\//, ''));
  }

  publish<M extends TaskEvent>(type: M, event: Input<M>): void {
    const topic = TOPICS.get(type);
    if (!topic) throw new Error(`no topic for ${type.name}`);
    const envelope = encode(ForwardRequest, {
      envelope: {
        timestamp: timestamp(new Date()),
        namespace: this.namespace,
        topic,
        event: { typeUrl: type.name, value: encode(type, event as never) },
      },
    });
    this.queue.push({ envelope, topic, attempts: 0 });
    if (!this.running) void this.run();
  }

  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.client.close();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      try {
        await this.client.call('containerd.services.events.ttrpc.v1.Events', 'Forward', item.envelope, { timeoutMs: FORWARD_TIMEOUT_MS });
        this.queue.shift();
      } catch (err) {
        item.attempts++;
        if (item.attempts >= MAX_ATTEMPTS) {
          this.queue.shift();
          this.onDrop(item.topic, err as Error);
        } else {
          await new Promise((r) => setTimeout(r, 200 * item.attempts));
        }
      }
    }
    this.running = false;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }
}
