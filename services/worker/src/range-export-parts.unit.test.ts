import { randomBytes } from 'node:crypto';
import { MAX_PART_NUMBER, PartSequencer, type PlannedPart } from './range-export-parts';

const PART = 64;

/** Feeds ranges of the given sizes through the sequencer the way the range writers do, in a shuffled order of events. */
function assemble(sizes: readonly number[], order: (events: (() => PlannedPart[])[]) => (() => PlannedPart[])[]) {
  const sequencer = new PartSequencer(sizes.length);
  const ranges = sizes.map((size) => randomBytes(size));
  const parts: { partNumber: number; body: Buffer }[] = [];
  // Per range: its head event (when longer than one part) must precede its own full parts and its end.
  const perRange = ranges.map((bytes, range) => {
    const events: (() => PlannedPart[])[] = [];
    if (bytes.length > PART) {
      events.push(() => sequencer.long(range, bytes.subarray(0, PART)));
      let offset = PART;
      let index = 0;
      while (bytes.length - offset > PART) {
        const body = bytes.subarray(offset, offset + PART);
        const partNumber = sequencer.partNumber(range, index);
        events.push(() => [{ partNumber, chunks: [body] }]);
        offset += PART;
        index += 1;
      }
      events.push(() => sequencer.finish(range, [bytes.subarray(offset)]));
    } else {
      events.push(() => sequencer.finish(range, [bytes]));
    }
    return events;
  });
  for (const event of order(perRange.flat()))
    for (const part of event()) parts.push({ partNumber: part.partNumber, body: Buffer.concat(part.chunks) });
  return { expected: Buffer.concat(ranges), parts };
}

/** Interleaves the ranges' events round-robin, each range's own events kept in order. */
function interleaved(sizes: readonly number[], reverse: boolean) {
  return (events: (() => PlannedPart[])[]) => {
    // Rebuild per-range queues from the flat list's lengths.
    const queues: (() => PlannedPart[])[][] = [];
    let offset = 0;
    for (const size of sizes) {
      const count = size > PART ? 2 + Math.max(0, Math.ceil((size - PART) / PART) - 1) : 1;
      queues.push(events.slice(offset, offset + count));
      offset += count;
    }
    const ordered: (() => PlannedPart[])[] = [];
    const indices = reverse ? [...queues.keys()].reverse() : [...queues.keys()];
    while (queues.some((queue) => queue.length > 0)) for (const i of indices) if (queues[i]!.length > 0) ordered.push(queues[i]!.shift()!);
    return ordered;
  };
}

function checkParts(sizes: readonly number[], reverse: boolean) {
  const { expected, parts } = assemble(sizes, interleaved(sizes, reverse));
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const numbers = sorted.map((part) => part.partNumber);
  expect(new Set(numbers).size).toBe(numbers.length);
  expect(numbers[0]).toBeGreaterThanOrEqual(1);
  expect(numbers.at(-1)).toBeLessThanOrEqual(MAX_PART_NUMBER);
  // S3 joins the parts in number order: the file must be the ranges' bytes one after the other.
  expect(Buffer.concat(sorted.map((part) => part.body)).equals(expected)).toBe(true);
  // No short middle part: only the last may be under the part size.
  for (const part of sorted.slice(0, -1)) expect(part.body.length).toBeGreaterThanOrEqual(PART);
}

describe('PartSequencer', () => {
  const cases: [string, number[]][] = [
    ['equal long ranges with short tails', [300, 290, 310, 305]],
    ['ranges ending exactly on a part boundary', [128, 192, 64, 256]],
    ['a range smaller than one part in the middle', [300, 10, 300]],
    ['several small ranges in a row, then a long one', [5, 7, 9, 200]],
    ['every range smaller than one part', [10, 20, 30]],
    ['a long range after small ones at the end', [200, 3, 1]],
    ['empty ranges', [0, 150, 0, 0]],
    ['one range', [500]],
  ];
  for (const [name, sizes] of cases) {
    it(`assembles the file in order with no short middle part: ${name}`, () => {
      checkParts(sizes, false);
      // Later ranges finishing first must not change the file.
      checkParts(sizes, true);
    });
  }

  it('plans one (empty) part when every range is empty, as CompleteMultipartUpload needs a part', () => {
    const sequencer = new PartSequencer(2);
    expect(sequencer.finish(1, [])).toEqual([]);
    expect(sequencer.finish(0, [])).toEqual([{ partNumber: expect.any(Number), chunks: [] }]);
  });

  it('keeps every range within S3’s 10,000 part numbers and refuses a range that outgrows its block', () => {
    const sequencer = new PartSequencer(4);
    const block = Math.floor((MAX_PART_NUMBER - 1) / 4);
    expect(sequencer.partNumber(3, block - 2)).toBeLessThan(MAX_PART_NUMBER);
    expect(() => sequencer.partNumber(3, block - 1)).toThrow(RangeError);
  });
});
