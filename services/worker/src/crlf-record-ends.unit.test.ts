import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { CrlfRecordEnds } from './crlf-record-ends';

/**
 * The reference, written out character by character (not with the
 * transform's indexOf scan): an LF outside quotes ends a record and becomes
 * CRLF; anything inside quotes is data.
 */
function reference(text: string): string {
  let quoted = false;
  let out = '';
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    out += c === '\n' && !quoted ? '\r\n' : c;
  }
  return out;
}

function convertInChunks(bytes: Buffer, cuts: readonly number[]): Buffer {
  const transform = new CrlfRecordEnds();
  const parts: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(transform.convert(bytes.subarray(start, cut)));
    start = cut;
  }
  return Buffer.concat(parts);
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

// As COPY writes it: quoted text fields with commas, "" escapes, LF and CRLF inside; LF ending each record.
const CSV = [
  'id,club_name,notes\n',
  '1,"Plain Club","nothing"\n',
  '2,"Comma, Club","a ""quoted"" word"\n',
  '3,"Line\nbreak","windows\r\nline"\n',
  '4,"""","""\n"""\n',
  '5,"",\n',
  '6,"ends with LF\n","\n\n"\n',
].join('');

describe('CrlfRecordEnds', () => {
  it('ends every record with CRLF and leaves line breaks inside quoted fields as stored', () => {
    const out = convertInChunks(Buffer.from(CSV), []).toString('utf8');
    expect(out).toBe(reference(CSV));
    expect(out).toContain('"Line\nbreak"');
    expect(out).toContain('"windows\r\nline"');
    expect(out).toContain('"""\n"""\r\n');
    // 7 record ends, and the CRLF a note holds; no bare LF is left outside quotes.
    expect(out.match(/\r\n/g)).toHaveLength(8);
    expect(out.endsWith('"\r\n')).toBe(true);
  });

  it('gives the same bytes however the input is cut: inside quotes, between the quotes of "", right before and after a newline', () => {
    const bytes = Buffer.from(CSV);
    const expected = reference(CSV);
    // Every single cut position, then many random multi-cut splits.
    for (let cut = 0; cut <= bytes.length; cut += 1) expect(convertInChunks(bytes, [cut]).toString('utf8')).toBe(expected);
    const next = random(13);
    for (let round = 0; round < 500; round += 1) {
      const cuts = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * bytes.length)).sort((a, b) => a - b);
      expect(convertInChunks(bytes, cuts).toString('utf8')).toBe(expected);
    }
  });

  it('counts quote state across one-byte chunks', () => {
    const bytes = Buffer.from(CSV);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(convertInChunks(bytes, cuts).toString('utf8')).toBe(reference(CSV));
  });

  it('passes a chunk without a record end through as the same buffer', () => {
    const chunk = Buffer.from('"no end\nhere, inside quotes');
    expect(new CrlfRecordEnds().convert(chunk)).toBe(chunk);
  });

  it('converts a generated file of random quoted fields exactly like the reference, as a stream', async () => {
    const next = random(7);
    const alphabet = ['a', 'b', ',', ';', '\t', '"', '\n', '\r', 'ü', '東'];
    let text = '';
    for (let row = 0; row < 2000; row += 1) {
      const fields = Array.from({ length: 4 }, () => {
        const value = Array.from({ length: Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
        return `"${value.replace(/"/g, '""')}"`;
      });
      text += `${row},${fields.join(',')}\n`;
    }
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let start = 0; start < bytes.length; ) {
      const size = 1 + Math.floor(next() * 300);
      chunks.push(bytes.subarray(start, start + size));
      start += size;
    }
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      new CrlfRecordEnds(),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(out).toString('utf8')).toBe(reference(text));
  });
});
