import type { ExportJob } from '@memberships/sdk';
import { formatProgress, styleState } from './format.js';
import type { Output } from './output.js';

/**
 * One self-rewriting line on stderr while an export runs. Only on a terminal:
 * in a pipe or a log file, carriage-return animations are noise.
 */
export class ProgressLine {
  private drawn = false;

  constructor(private readonly output: Output) {}

  update = (job: ExportJob): void => {
    if (!this.output.interactive) return;
    const style = this.output.err;
    const text = `${style.dim('Export')} ${job.id} ${styleState(job.state, style)}  ${formatProgress(job.progress)}`;
    this.output.streams.stderr.write(`\r\u001b[2K${text}`);
    this.drawn = true;
  };

  /** Removes the line, so what follows starts on a clean line. */
  clear(): void {
    if (!this.drawn) return;
    this.output.streams.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}
