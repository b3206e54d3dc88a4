import { LineCounter } from './line-counter';

function count(text: string, cuts: readonly number[] = []): LineCounter {
  const bytes = Buffer.from(text);
  const counter = new LineCounter();
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    counter.push(bytes.subarray(start, cut));
    start = cut;
  }
  return counter;
}

describe('LineCounter', () => {
  // JSON text escapes newlines inside strings, so each raw LF ends one record.
  const JSONL = ['{"id":1,"notes":"two\\nlines"}', '{"id":2,"notes":"quote \\" and \\r\\n"}', '{"id":3,"notes":null}']
    .map((l) => `${l}\n`)
    .join('');

  it('counts one record per line, however the input is cut', () => {
    for (let cut = 0; cut <= Buffer.byteLength(JSONL); cut += 1) {
      const counter = count(JSONL, [cut]);
      expect(counter.records).toBe(3);
      expect(counter.complete).toBe(true);
    }
  });

  it('says a stream that stops mid-line is incomplete', () => {
    const counter = count(`${JSONL}{"id":4`);
    expect(counter.records).toBe(3);
    expect(counter.complete).toBe(false);
  });

  it('counts nothing in an empty file, which is complete', () => {
    const counter = count('');
    expect(counter.records).toBe(0);
    expect(counter.complete).toBe(true);
  });
});
