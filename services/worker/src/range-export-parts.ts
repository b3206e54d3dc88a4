/**
 * Where the bytes of an export written in parallel ranges go in its S3
 * multipart upload. S3 joins the parts in part-number order (numbers 1 to
 * 10,000, ascending, not necessarily consecutive) and refuses a part under
 * 5 MiB unless it is the last, so:
 *
 * - range i owns a block of part numbers; its bytes are cut into parts of
 *   exactly `partBytes`, numbered up its block as they fill;
 * - a range's first part (its head) takes the block's first number and waits
 *   for the ranges before it to finish, so that their short tails (and any
 *   range too small to fill one part) are prepended to it: every middle part
 *   is at least `partBytes`;
 * - whatever is left after the last range is the file's final part, the only
 *   one allowed to be short.
 *
 * Pure bookkeeping: callers pass the bytes (or where to read them: a
 * `Chunk` is anything with a length) and upload the parts it returns.
 */

/** S3's highest part number. */
export const MAX_PART_NUMBER = 10_000;

/** What a part's bytes are made of: a Buffer, or a slice of a file they were kept in. */
export interface Chunk {
  readonly length: number;
}

/** A part ready to upload: its number and its bytes in order. */
export interface PlannedPart<C extends Chunk = Buffer> {
  readonly partNumber: number;
  readonly chunks: readonly C[];
}

interface RangeState<C extends Chunk> {
  /** The first `partBytes` of a range known to be longer. */
  head: C | undefined;
  headPlanned: boolean;
  /** What the range left after its last full part (or all of it, for a short range); set once it ended. */
  rest: readonly C[] | undefined;
}

export class PartSequencer<C extends Chunk = Buffer> {
  /** Part numbers each range owns: its head's, then its full parts'. */
  private readonly block: number;
  private readonly states: RangeState<C>[];
  /** Bytes after the last planned part, from ranges that have ended. */
  private carry: C[] = [];
  /** The first range whose bytes are not all planned yet. */
  private next = 0;
  private planned = 0;

  constructor(
    private readonly ranges: number,
    maxPartNumber = MAX_PART_NUMBER,
  ) {
    if (!Number.isInteger(ranges) || ranges < 1) throw new RangeError(`ranges must be a positive integer, got ${ranges}`);
    // One number is kept for the final part, after every block.
    this.block = Math.floor((maxPartNumber - 1) / ranges);
    if (this.block < 2) throw new RangeError(`${ranges} ranges leave no part numbers for their parts`);
    this.states = Array.from({ length: ranges }, () => ({ head: undefined, headPlanned: false, rest: undefined }));
  }

  /** The number of range `range`'s `index`-th full part after its head (0-based); throws when its block is used up. */
  partNumber(range: number, index: number): number {
    if (index + 1 >= this.block) {
      throw new RangeError(`range ${range} needs more than the ${this.block - 1} parts its block of part numbers holds`);
    }
    return 1 + range * this.block + 1 + index;
  }

  /** Range `range` filled its first part and has more bytes: the head waits for the ranges before it. */
  long(range: number, head: C): PlannedPart<C>[] {
    const state = this.state(range);
    if (state.head || state.rest) throw new Error(`range ${range} reported its head twice or after its end`);
    state.head = head;
    return this.advance();
  }

  /** Range `range` ended; `rest` is what followed its last full part (all of its bytes when it never filled a part). */
  finish(range: number, rest: readonly C[]): PlannedPart<C>[] {
    const state = this.state(range);
    if (state.rest) throw new Error(`range ${range} ended twice`);
    state.rest = rest;
    return this.advance();
  }

  /** Parts planned so far. */
  get parts(): number {
    return this.planned;
  }

  private state(range: number): RangeState<C> {
    const state = this.states[range];
    if (!state) throw new RangeError(`no range ${range}`);
    return state;
  }

  private advance(): PlannedPart<C>[] {
    const ready: PlannedPart<C>[] = [];
    while (this.next < this.ranges) {
      const state = this.states[this.next]!;
      if (state.head && !state.headPlanned) {
        // Every range before this one has ended: the head with their leftovers is a middle part of at least partBytes.
        ready.push(this.plan(1 + this.next * this.block, [...this.carry, state.head]));
        this.carry = [];
        state.headPlanned = true;
        state.head = undefined;
      }
      if (!state.rest) break;
      this.carry.push(...state.rest.filter((chunk) => chunk.length > 0));
      this.next += 1;
    }
    if (this.next === this.ranges && (this.carry.length > 0 || this.planned === 0)) {
      ready.push(this.plan(1 + this.ranges * this.block, this.carry));
      this.carry = [];
    }
    return ready;
  }

  private plan(partNumber: number, chunks: readonly C[]): PlannedPart<C> {
    this.planned += 1;
    return { partNumber, chunks };
  }
}
