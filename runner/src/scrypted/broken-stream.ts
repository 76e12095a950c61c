// Node names a response body cut off by the peer just "aborted" (code ECONNRESET). That is what the log showed
// when Scrypted restarted in the middle of a clip; this says what happened instead, before any reader sees it.
import type { Readable } from 'node:stream';

/** Rewrites the message of a clip stream's error when the connection to Scrypted was cut mid-body. */
export function explainBrokenStream(stream: Readable, clipId: string): void {
  // An 'error' listener leaves the stream paused (a 'data' listener would start it before the reader is there).
  // Prepended, so the reader's own listeners already see the clear message.
  stream.prependListener('error', (error: Error & { code?: string }) => {
    if (error.message !== 'aborted' && error.code !== 'ECONNRESET') return;
    error.message =
      `Scrypted closed the connection in the middle of clip ${clipId} ` +
      `(${error.code ?? error.message}: Scrypted restarting, or the network between us)`;
  });
}
