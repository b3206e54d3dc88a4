import type { Transform } from 'node:stream';
import type { ExportOptions } from '@memberships/core/contract';
import { CrlfRecordEnds } from './crlf-record-ends';
import { CsvRecordCounter } from './csv-record-counter';
import { type RecordCounter, RecordCountingStream } from './export-meter';
import { LineCounter } from './line-counter';
import { Utf8BomPrefix } from './utf8-bom';

/** The stages between COPY's bytes and the file, and what counts the records they pass on. */
export interface RecordStages {
  readonly stages: Transform[];
  readonly counter: Pick<RecordCounter, 'records' | 'complete'>;
  /** Data rows that reached the file so far (header lines not counted). */
  rows(): number;
}

/**
 * CSV and JSON Lines after COPY: the dialect's BOM and CRLF, and the record
 * count as the reader will count it. `header` is the header lines these
 * bytes start with (1 for a whole CSV file or its first range, else 0);
 * `bom` whether they start the file. `onRows` learns the data rows so far.
 */
export function recordStages(options: ExportOptions, header: 0 | 1, bom: boolean, onRows: (rows: number) => void): RecordStages {
  const csv = options.format === 'csv';
  const stages: Transform[] = [];
  if (csv && bom && options.csv.bom) stages.push(new Utf8BomPrefix());
  // The CRLF stage counts records itself when there is one (no second scan).
  let counter: Pick<RecordCounter, 'records' | 'complete'>;
  if (csv && options.csv.lineEnding === 'crlf') {
    const crlf = new CrlfRecordEnds((records) => onRows(Math.max(0, records - header)));
    stages.push(crlf);
    counter = crlf;
  } else {
    const records = csv ? new CsvRecordCounter() : new LineCounter();
    stages.push(new RecordCountingStream(records, header, onRows));
    counter = records;
  }
  return { stages, counter, rows: () => Math.max(0, counter.records - header) };
}
