/**
 * Preloaded (`node --require .../parent-watch.js entry.js`) into the API and
 * worker processes that the local platform and the tests spawn. The parent
 * holds the other end of a pipe on file descriptor 3; when the parent dies,
 * even by SIGKILL, the pipe closes and this asks the service to shut down the
 * way SIGTERM does, so no orphaned service keeps a port or consumes messages.
 * The services themselves know nothing about it.
 */
import { Socket } from 'node:net';

const GRACE_MS = 10_000;

function watchParent(): void {
  let pipe: Socket;
  try {
    pipe = new Socket({ fd: 3, readable: true, writable: false });
  } catch {
    return; // not started by the local platform: nothing to watch
  }
  let gone = false;
  const onParentGone = () => {
    if (gone) return;
    gone = true;
    process.kill(process.pid, 'SIGTERM');
    // If the service ignores SIGTERM, do not linger forever.
    setTimeout(() => process.exit(1), GRACE_MS).unref();
  };
  pipe.on('end', onParentGone);
  pipe.on('error', onParentGone);
  pipe.resume();
  // The watch alone must not keep the service alive.
  pipe.unref();
}

watchParent();
