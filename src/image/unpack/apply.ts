// The applying half of a layer unpack: batches of operations (ops.ts) go to a
// thread of the addon (native/src/layer_apply.c), which carries them out in
// order relative to the layer root fd, while the JS thread parses the next
// chunk of the tar stream, as tar's extraction runs beside its decompressor.
// A batch's ring memory is given back to the decoder once the batch is done.
import type { LayerApplier, Native } from '../../native';
import { OpBatch, type OpEntry } from './ops';

export interface ApplyFailure {
  entry: OpEntry;
  error: NodeJS.ErrnoException;
}

export class Applier {
  private readonly handle: LayerApplier;
  private readonly pending: Array<{ batch: OpBatch; onDone: () => void }> = [];
  private seq = 0;
  private spare: Buffer[] = [];
  private ended?: Promise<void>;
  private resolveEnded!: () => void;
  /** the first operation that failed; nothing after it was carried out */
  failure: ApplyFailure | undefined;

  constructor(
    private readonly n: Native,
    rootFd: number,
    private readonly ring: Buffer,
  ) {
    const ended = new Promise<void>((r) => (this.resolveEnded = r));
    this.handle = n.layerApplyStart(rootFd, ring, (seq, failedOp, error, _skipped) => {
      if (seq < 0) {
        this.resolveEnded();
        return;
      }
      const p = this.pending.shift();
      if (!p) return;
      if (failedOp >= 0 && this.failure === undefined && error) {
        this.failure = { entry: p.batch.entries[failedOp] ?? { name: '' }, error };
      }
      this.spare.push(p.batch.memory());
      p.onDone();
    });
    this.ended = ended;
  }

  /** a new, empty batch */
  batch(): OpBatch {
    return new OpBatch(this.ring, this.spare.pop());
  }

  /** hand a batch over; onDone runs on this thread once the thread is done with it (also when it was skipped) */
  submit(batch: OpBatch, onDone: () => void): void {
    this.pending.push({ batch, onDone });
    this.n.layerApplySubmit(this.handle, batch.bytes(), this.seq++);
  }

  /** every batch carried out (or skipped after a failure: see failure) */
  async end(): Promise<void> {
    this.n.layerApplyEnd(this.handle);
    await this.ended;
  }

  /** skip what is queued; resolves when the thread no longer uses the root fd */
  async cancel(): Promise<void> {
    this.n.layerApplyCancel(this.handle);
    await this.ended;
  }
}
