import { CsvRecordCounter } from './csv-record-counter';

/** RFC 4180 quoting, as PostgreSQL's COPY ... CSV applies it. */
function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}

function csv(rows: (string | null)[][]): Buffer {
  return Buffer.from(rows.map((row) => `${row.map(csvField).join(',')}\n`).join(''), 'utf8');
}

function countInChunks(bytes: Buffer, cuts: number[]): number {
  const counter = new CsvRecordCounter();
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    counter.push(bytes.subarray(start, cut));
    start = cut;
  }
  expect(counter.insideQuotes).toBe(false);
  return counter.records;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY_ROWS: (string | null)[][] = [
  ['id', 'club_name', 'notes'],
  ['1', 'Plain Club', 'nothing special'],
  ['2', 'Comma, Club', 'a "quoted" word'],
  ['3', 'Line\nbreak', 'windows\r\nline'],
  ['4', '""', '"\n"'],
  ['5', 'Ünïcödé 東京 🏋️', null],
  ['6', "'=SUM(A1:A2)", ''],
  ['7', 'ends with quote"', '\n\n\n'],
];

describe('CsvRecordCounter', () => {
  it('counts one record per line of plain CSV', () => {
    const counter = new CsvRecordCounter();
    counter.push(Buffer.from('id,name\n1,a\n2,b\n'));
    expect(counter.records).toBe(3);
  });

  it('does not count newlines inside quoted fields, and escaped quotes do not end a field', () => {
    expect(countInChunks(csv(TRICKY_ROWS), [])).toBe(TRICKY_ROWS.length);
  });

  it('gives the same count wherever a chunk boundary falls', () => {
    const bytes = csv(TRICKY_ROWS);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      expect(countInChunks(bytes, [cut])).toBe(TRICKY_ROWS.length);
    }
    for (let first = 0; first <= bytes.length; first += 3) {
      for (let second = first; second <= bytes.length; second += 5) {
        expect(countInChunks(bytes, [first, second])).toBe(TRICKY_ROWS.length);
      }
    }
  });

  it('counts byte by byte, splitting "" escapes and multi-byte characters', () => {
    const bytes = csv(TRICKY_ROWS);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(countInChunks(bytes, cuts)).toBe(TRICKY_ROWS.length);
  });

  it('reports an input that stops inside a quoted field', () => {
    const counter = new CsvRecordCounter();
    counter.push(Buffer.from('id,notes\n1,"unfinished\n'));
    expect(counter.records).toBe(1);
    expect(counter.insideQuotes).toBe(true);
  });

  it('matches the row count of random tricky CSV split into random chunks', () => {
    const next = random(20251125);
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', 'ü', '東', '=', '""'];
    for (let round = 0; round < 200; round += 1) {
      const rowCount = 1 + Math.floor(next() * 40);
      const rows = Array.from({ length: rowCount }, () =>
        Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
          next() < 0.1
            ? null
            : Array.from({ length: Math.floor(next() * 8) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
        ),
      );
      const bytes = csv(rows);
      const cuts = Array.from({ length: Math.floor(next() * 10) }, () => Math.floor(next() * bytes.length)).sort((a, b) => a - b);
      expect(countInChunks(bytes, cuts)).toBe(rowCount);
    }
  });

  it.each([
    ['semicolon', ';', '\n'],
    ['tab', '\t', '\n'],
    ['comma, CRLF record ends', ',', '\r\n'],
    ['semicolon, CRLF record ends, BOM', ';', '\r\n'],
  ])('counts every dialect alike: %s', (name, delimiter, recordEnd) => {
    const field = (value: string | null) =>
      value === null ? '' : value === '' || /["\r\n;,\t]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
    const text = TRICKY_ROWS.map((row) => row.map(field).join(delimiter) + recordEnd).join('');
    const bytes = Buffer.concat([name.includes('BOM') ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
    for (let cut = 0; cut <= bytes.length; cut += 1) expect(countInChunks(bytes, [cut])).toBe(TRICKY_ROWS.length);
  });

  it('accepts Uint8Array chunks that are views into a larger buffer', () => {
    const bytes = csv(TRICKY_ROWS);
    const backing = new Uint8Array(bytes.length + 20);
    backing.set(bytes, 10);
    const counter = new CsvRecordCounter();
    counter.push(new Uint8Array(backing.buffer, 10, bytes.length));
    expect(counter.records).toBe(TRICKY_ROWS.length);
  });
});
