/** Reads all of stdin as text (for --password-stdin); rejects with the signal's reason on Ctrl+C. */
export async function readAll(stdin: NodeJS.ReadableStream, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  })();
  if (!signal) return reading;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The password as piped in: one trailing newline (from `echo`) is not part of it. */
export function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}
