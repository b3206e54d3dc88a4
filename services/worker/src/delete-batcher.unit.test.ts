import type { DeleteMessageBatchCommand, Message, SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { DeleteBatcher, MAX_DELETE_BATCH } from './delete-batcher';

/** SQS stubbed: records each DeleteMessageBatch's receipt handles; answers with `answer` (default: all deleted). */
function stubSqs(answer?: (handles: readonly string[]) => Promise<unknown>) {
  const requests: string[][] = [];
  const sqs = {
    send: jest.fn(async (command: DeleteMessageBatchCommand) => {
      const handles = (command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? '');
      requests.push(handles);
      return answer ? answer(handles) : { Successful: handles.map((_, index) => ({ Id: String(index) })), Failed: [] };
    }),
  };
  return { sqs: sqs as unknown as SQSClient, requests };
}

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const message = (n: number): Message => ({ MessageId: `id-${n}`, ReceiptHandle: `handle-${n}` });
const messages = (from: number, count: number) => Array.from({ length: count }, (_, index) => message(from + index));
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DeleteBatcher', () => {
  afterEach(() => jest.useRealTimers());

  it('sends a full batch of ten at once, in one request', async () => {
    const { sqs, requests } = stubSqs();
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger: recordingLogger().logger, lingerMs: 60_000 });
    for (const m of messages(0, MAX_DELETE_BATCH)) batcher.delete(m);
    expect(requests).toEqual([messages(0, 10).map((m) => m.ReceiptHandle)]);
    expect(batcher.pending).toBe(10);
    await batcher.flush();
    expect(batcher.pending).toBe(0);
  });

  it('holds a part batch for lingerMs, then sends it whole', async () => {
    jest.useFakeTimers();
    const { sqs, requests } = stubSqs();
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger: recordingLogger().logger, lingerMs: 200 });
    batcher.delete(message(1));
    jest.advanceTimersByTime(150);
    batcher.delete(message(2));
    batcher.delete(message(3));
    expect(requests).toEqual([]);
    expect(batcher.pending).toBe(3);
    // The linger runs from the first message of the batch, not the last.
    jest.advanceTimersByTime(50);
    expect(requests).toEqual([['handle-1', 'handle-2', 'handle-3']]);
  });

  it('cuts 25 messages into 10, 10 and (on flush) 5, every one sent exactly once', async () => {
    const { sqs, requests } = stubSqs();
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger: recordingLogger().logger, lingerMs: 60_000 });
    for (const m of messages(0, 25)) batcher.delete(m);
    expect(requests.map((handles) => handles.length)).toEqual([10, 10]);
    await batcher.flush();
    expect(requests.map((handles) => handles.length)).toEqual([10, 10, 5]);
    expect(requests.flat().sort()).toEqual(
      messages(0, 25)
        .map((m) => m.ReceiptHandle)
        .sort(),
    );
    expect(batcher.pending).toBe(0);
  });

  it('flush resolves only once SQS has answered, and counts the messages in the request as pending', async () => {
    let answer!: () => void;
    const { sqs } = stubSqs(
      () =>
        new Promise((resolve) => {
          answer = () => resolve({ Failed: [] });
        }),
    );
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger: recordingLogger().logger, lingerMs: 60_000 });
    batcher.delete(message(1));
    batcher.delete(message(2));
    let flushed = false;
    const flushing = batcher.flush().then(() => {
      flushed = true;
    });
    await settle();
    expect(flushed).toBe(false);
    expect(batcher.pending).toBe(2);
    answer();
    await flushing;
    expect(flushed).toBe(true);
    expect(batcher.pending).toBe(0);
  });

  it('logs each entry SQS did not delete, by message id, and the rest count as done', async () => {
    const { sqs } = stubSqs(async () => ({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'expired' }],
    }));
    const { logger, lines } = recordingLogger();
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger, lingerMs: 60_000 });
    batcher.delete(message(7));
    batcher.delete(message(8));
    await batcher.flush();
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, messageId: 'id-8', code: 'ReceiptHandleIsInvalid', senderFault: true, detail: 'expired' }),
    ]);
    expect(batcher.pending).toBe(0);
  });

  it('logs a failed request with every message id and never throws to the lane', async () => {
    const { sqs } = stubSqs(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    const { logger, lines } = recordingLogger();
    const batcher = new DeleteBatcher({ sqs, queueUrl: 'q', logger, lingerMs: 60_000 });
    batcher.delete(message(1));
    batcher.delete(message(2));
    await expect(batcher.flush()).resolves.toBeUndefined();
    expect(lines).toEqual([expect.objectContaining({ level: 50, messageIds: ['id-1', 'id-2'] })]);
    expect(batcher.pending).toBe(0);
  });

  it('refuses a negative linger', () => {
    const { sqs } = stubSqs();
    expect(() => new DeleteBatcher({ sqs, queueUrl: 'q', logger: recordingLogger().logger, lingerMs: -1 })).toThrow(RangeError);
  });
});
