// The one place that knows how each backup run ended (ARCHITECTURE.md: signals about the write path come from
// one place) and tells the outside: the HEALTHCHECK_URL pings (start, success, failure with its reason) and the
// METRICS_FILE for Prometheus. Neither ever fails the backup: their errors are logged as warnings.
import type { SiteState, StateStore } from '../core/ports.js';
import type { RunCounts } from '../job/tally.js';
import type { Logger } from '../log.js';
import { sendPing } from './healthcheck-ping.js';
import { cameraWatermarks, previousSuccess, writeMetricsFile, type CameraWatermark } from './metrics-file.js';

export interface SignalSettings {
  healthcheckUrl: string | undefined;
  metricsFile: string | undefined;
}

/** How a run ended, as the outside is told. */
export interface RunOutcome {
  success: boolean;
  finishedAt: number;
  durationMs: number;
  /** The summary line, or the error that ended the run: the failure ping's body. */
  reason: string;
  counts: RunCounts | undefined;
  /** Each camera's watermark after the run (empty when unknown). */
  cameras: CameraWatermark[];
}

export class RunSignals {
  /** ms since the epoch of the newest successful run this process saw (the daemon's health check uses it). */
  lastSuccessAt: number | undefined;
  /** The last run's outcome: a quiet check re-writes the metrics file with it. */
  private lastOutcome: RunOutcome | undefined;

  constructor(
    private readonly settings: SignalSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * Each camera's watermark and recovery point after a run, for the metrics file, only when METRICS_FILE is set
   * (empty otherwise, and when the read fails: the metrics never fail the backup): from `known`, the state the
   * run's record wrote, or else one more state read.
   */
  async cameraWatermarks(state: Pick<StateStore, 'read'>, known?: SiteState): Promise<CameraWatermark[]> {
    if (this.settings.metricsFile === undefined) return [];
    if (known) return cameraWatermarks(known, Date.now());
    return state.read().then((site) => cameraWatermarks(site, Date.now()), () => []);
  }

  async started(): Promise<void> {
    if (this.settings.healthcheckUrl) await sendPing(this.settings.healthcheckUrl, 'start', '', this.logger);
  }

  async finished(outcome: RunOutcome): Promise<void> {
    this.lastOutcome = outcome;
    if (outcome.success) this.lastSuccessAt = outcome.finishedAt;
    const { healthcheckUrl, metricsFile } = this.settings;
    await Promise.all([
      healthcheckUrl ? sendPing(healthcheckUrl, outcome.success ? 'success' : 'fail', outcome.reason, this.logger) : undefined,
      metricsFile ? this.writeMetrics(metricsFile, outcome) : undefined,
    ]);
  }

  /**
   * The watch's check (`daemon --watch`): a listing worked (each camera is listed at least every WATCH_POLL_SECONDS)
   * and no failed run is waiting for its retry. That is a success as much as a run with nothing new, so the metrics file's last success
   * moves to `at` and `nvr_backup_last_check_timestamp_seconds` says when; the last run's figures stay. No ping: a
   * healthchecks-style check hears of runs, and a quiet site's silence there is the ping of its last run.
   */
  async quietCheck(at: number): Promise<void> {
    const path = this.settings.metricsFile;
    if (path === undefined || (this.lastOutcome && !this.lastOutcome.success)) return;
    this.lastSuccessAt = at;
    await this.writeMetrics(path, this.lastOutcome, at);
  }

  private async writeMetrics(path: string, outcome: RunOutcome | undefined, checkedAt?: number): Promise<void> {
    // finished() and quietCheck() have already moved lastSuccessAt; a new process finds it in the file it left.
    const lastSuccessAt = this.lastSuccessAt ?? (await previousSuccess(path));
    const counts = outcome?.counts;
    try {
      await writeMetricsFile(path, {
        ...(checkedAt === undefined ? {} : { checkedAt }),
        finishedAt: outcome?.finishedAt,
        success: outcome?.success ?? true,
        lastSuccessAt,
        uploaded: counts?.uploaded ?? 0,
        bytes: counts?.bytes ?? 0,
        failed: counts?.failed ?? (outcome === undefined || outcome.success ? 0 : 1),
        unsupported: counts?.unsupported ?? 0,
        abandoned: counts?.abandoned ?? 0,
        durationMs: outcome?.durationMs ?? 0,
        cameras: outcome?.cameras ?? [],
      });
    } catch (error) {
      this.logger.warn({ event: 'metrics.failed', err: String(error) }, `could not write METRICS_FILE ${path}; the backup goes on`);
    }
  }
}
