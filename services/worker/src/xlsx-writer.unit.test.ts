import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dateSerial, escapeXml, timestampSerial, XlsxWriter } from './xlsx-writer';
import { readXlsx, serialWallClock } from './testing/xlsx-reader';

async function workbook(rows: unknown[][], columns: ConstructorParameters<typeof XlsxWriter>[0]['columns']): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([rows], { objectMode: true }),
    new XlsxWriter({ columns }),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('XLSX cell values', () => {
  it('gives calendar days the serials spreadsheets use (day 1 is 1900-01-01, with the 1900-02-29 Excel counts)', () => {
    expect(dateSerial('1900-03-01')).toBe(61);
    expect(dateSerial('2026-01-01')).toBe(46023);
    expect(() => dateSerial('2026-1-1')).toThrow(TypeError);
  });

  it('takes the wall clock of a timestamp as written, its offset dropped, milliseconds kept', () => {
    // 03:30 on the day Berlin moves to summer time: the serial shows 03:30, whatever the offset.
    expect(serialWallClock(timestampSerial('2026-03-29T03:30:00.000+02:00'))).toBe('2026-03-29T03:30:00.000');
    expect(serialWallClock(timestampSerial('2026-03-29T01:59:59.5+01:00'))).toBe('2026-03-29T01:59:59.500');
    expect(serialWallClock(timestampSerial('2026-03-29T01:59:59Z'))).toBe('2026-03-29T01:59:59.000');
    expect(() => timestampSerial('yesterday')).toThrow(TypeError);
  });

  it('escapes what XML cannot hold and what would read back as something else', () => {
    expect(escapeXml('plain text')).toBe('plain text');
    expect(escapeXml('a & b <c> d')).toBe('a &amp; b &lt;c&gt; d');
    expect(escapeXml('two\r\nlines')).toBe('two&#13;\nlines');
    expect(escapeXml('bell\u0007')).toBe('bell_x0007_');
    // Text that looks like Excel's own escape keeps its meaning: _x0041_ must not read back as "A".
    expect(escapeXml('_x0041_')).toBe('_x005F_x0041_');
  });

  it('writes a workbook a reader gets the same values back from: text as text, numbers exact, NULL as no cell', async () => {
    const file = await workbook(
      [
        ['9007199254740993', '=1+1', '123456789.123456789', true, null],
        ['2', '_x0041_ & <b>\r\n', '0.10', false, 'bell\u0007'],
      ],
      ['id', 'club_name', 'price', 'auto_renew', 'notes'],
    );
    const [sheet] = readXlsx(file).sheets;
    expect(sheet!.rows.map((cells) => cells.map((cell) => cell && [cell.type, cell.value]))).toEqual([
      [
        ['inlineStr', 'id'],
        ['inlineStr', 'club_name'],
        ['inlineStr', 'price'],
        ['inlineStr', 'auto_renew'],
        ['inlineStr', 'notes'],
      ],
      [['n', '9007199254740993'], ['inlineStr', '=1+1'], ['n', '123456789.123456789'], ['b', '1'], undefined],
      [
        ['n', '2'],
        ['inlineStr', '_x0041_ & <b>\r\n'],
        ['n', '0.10'],
        ['b', '0'],
        ['inlineStr', 'bell\u0007'],
      ],
    ]);
    // No formula cell anywhere: a text that starts with = is a string.
    expect(sheet!.xml).not.toContain('<f>');
  });

  it('refuses a number column value that is not a number instead of writing broken XML', async () => {
    await expect(workbook([['1 or <x/>']], ['id'])).rejects.toThrow(TypeError);
  });
});
