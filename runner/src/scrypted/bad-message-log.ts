// Reports RPC messages from Scrypted that had the wrong shape (not JSON, `null`, no type, a call the runner
// cannot answer): the runner ignores them and goes on. Bounded: the first few are logged with a short, escaped
// excerpt, then one line says the rest are only counted, so a server that floods garbage cannot flood the log.
import type { Logger } from '../log.js';

const LOGGED = 5;
const EXCERPT = 120;

export class BadMessageLog {
  count = 0;

  constructor(private readonly logger: Logger | undefined) {}

  report(reason: string, frame?: string): void {
    this.count += 1;
    if (!this.logger || this.count > LOGGED + 1) return;
    if (this.count === LOGGED + 1) {
      this.logger.warn({ event: 'scrypted.bad_message', count: this.count }, 'more malformed RPC messages from Scrypted; ignoring them without logging each');
      return;
    }
    const excerpt = frame === undefined ? undefined : JSON.stringify(frame.slice(0, EXCERPT)) + (frame.length > EXCERPT ? `… (${frame.length} characters)` : '');
    this.logger.warn({ event: 'scrypted.bad_message', reason, excerpt }, `ignored a malformed RPC message from Scrypted: ${reason}`);
  }
}
