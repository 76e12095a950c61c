// Keeps the run's lease alive: renews it every third of its lifetime; when it is lost, aborts the run.
import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';

export interface LeaseKeeper {
  stop(): void;
}

export function keepLease(
  state: StateStore,
  owner: string,
  ttlMs: number,
  clock: () => number,
  onLost: (reason: string) => void,
  logger: Logger,
): LeaseKeeper {
  const timer = setInterval(() => {
    state.renewLease(owner, ttlMs, clock()).then(
      (ours) => {
        if (!ours) onLost('the lease was taken by another runner');
        else logger.debug({ event: 'lease.renewed', owner }, 'lease renewed');
      },
      (error: unknown) => {
        // A failed renewal is not yet a lost lease: it is tried again at the next tick, well before expiry.
        logger.warn({ event: 'lease.renew_failed', err: String(error) }, 'could not renew the lease; will retry');
      },
    );
  }, Math.max(1000, Math.floor(ttlMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
