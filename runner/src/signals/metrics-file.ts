// The Prometheus textfile (METRICS_FILE) for node_exporter's textfile collector
// (https://github.com/prometheus/node_exporter#textfile-collector): only `*.prom` files are read, and a file is
// written to a temporary name in the same directory and renamed, so the collector never reads half a file. The
// format is Prometheus' text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/):
// `# HELP`/`# TYPE` lines, `name{label="value"} number`, label values escaping `\`, `"` and newlines, and the
// file ends with a newline.
import { readFile, rename, writeFile, unlink } from 'node:fs/promises';
import type { SiteState } from '../core/ports.js';
import { worstOfToday } from '../core/recovery-point.js';

export interface CameraWatermark {
  id: string;
  name: string;
  /** ms since the epoch; 0 when the camera has no watermark yet. */
  lastTimestamp: number;
  /** The recovery point (clip end to object in the bucket, ms) of the camera's last clip that landed, if measured. */
  recoveryLastMs?: number | undefined;
  /** The worst recovery point of the current UTC day (ms), if one was measured today. */
  recoveryWorstTodayMs?: number | undefined;
}

/** Each camera's watermark and recovery point as the state document holds them, for the metrics file. */
export function cameraWatermarks(site: SiteState, now: number): CameraWatermark[] {
  return [...site.cameras].map(([id, camera]) => ({
    id,
    name: camera.name,
    lastTimestamp: camera.lastTimestamp,
    recoveryLastMs: camera.recovery?.lastMs,
    recoveryWorstTodayMs: worstOfToday(camera.recovery, now),
  }));
}

export interface RunMetrics {
  /** ms since the epoch of this run's end; undefined when this process has run nothing yet (a quiet watch). */
  finishedAt: number | undefined;
  /** `daemon --watch`: ms since the epoch of the last listing that worked with no failed run waiting. */
  checkedAt?: number | undefined;
  success: boolean;
  /** ms since the epoch of the newest successful run (this one, or an earlier one found in the file). */
  lastSuccessAt: number | undefined;
  uploaded: number;
  bytes: number;
  failed: number;
  unsupported: number;
  abandoned: number;
  durationMs: number;
  cameras: CameraWatermark[];
}

const LAST_SUCCESS = 'nvr_backup_last_success_timestamp_seconds';

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function gauge(name: string, help: string, samples: Array<{ labels?: Record<string, string>; value: number }>): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...samples.map(({ labels, value }) => {
      const text = labels ? `{${Object.entries(labels).map(([key, v]) => `${key}="${labelValue(v)}"`).join(',')}}` : '';
      return `${name}${text} ${Number.isFinite(value) ? value : 'NaN'}`;
    }),
  ];
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export function formatMetrics(metrics: RunMetrics): string {
  const finishedAt = metrics.finishedAt;
  const lines = [
    ...gauge('nvr_backup_last_run_timestamp_seconds', 'End of the last backup run (Unix time); 0 when this process ran none yet.', [{ value: finishedAt === undefined ? 0 : seconds(finishedAt) }]),
    ...gauge('nvr_backup_last_run_success', '1 when the last run put every clip in the bucket, else 0.', [{ value: metrics.success ? 1 : 0 }]),
    ...gauge(LAST_SUCCESS, 'End of the newest successful backup run (Unix time); 0 when none succeeded yet.', [{ value: metrics.lastSuccessAt === undefined ? 0 : seconds(metrics.lastSuccessAt) }]),
    ...gauge('nvr_backup_last_run_duration_seconds', 'How long the last run took.', [{ value: seconds(metrics.durationMs) }]),
    ...gauge('nvr_backup_last_run_clips_uploaded', 'Clips the last run uploaded.', [{ value: metrics.uploaded }]),
    ...gauge('nvr_backup_last_run_bytes_uploaded', 'Bytes the last run uploaded.', [{ value: metrics.bytes }]),
    ...gauge('nvr_backup_last_run_clips_failed', 'Clips (or steps) that failed in the last run; the next run retries them.', [{ value: metrics.failed }]),
    ...gauge('nvr_backup_last_run_clips_unsupported', 'Clips the last run found it can never back up.', [{ value: metrics.unsupported }]),
    ...gauge('nvr_backup_last_run_clips_abandoned', 'Uploads the last run abandoned when it was stopped (SIGTERM); retried by the next run.', [{ value: metrics.abandoned }]),
  ];
  if (metrics.checkedAt !== undefined) {
    lines.push(...gauge('nvr_backup_last_check_timestamp_seconds', 'daemon --watch: the last listing that worked with no failed run waiting (Unix time).', [{ value: seconds(metrics.checkedAt) }]));
  }
  if (finishedAt !== undefined) {
    const perCamera = (name: string, help: string, valueOf: (camera: CameraWatermark) => number | undefined): string[] => {
      const samples = metrics.cameras.flatMap((camera) => {
        const value = valueOf(camera);
        return value === undefined ? [] : [{ labels: { camera: camera.name, camera_id: camera.id }, value }];
      });
      return samples.length > 0 ? gauge(name, help, samples) : [];
    };
    const ms = (value: number | undefined) => (value === undefined ? undefined : seconds(value));
    lines.push(
      ...perCamera(
        'nvr_backup_camera_watermark_age_seconds',
        "Age of each camera's watermark at the end of the last run: every clip that ended before it is in the bucket.",
        (camera) => (camera.lastTimestamp > 0 ? Math.max(0, seconds(finishedAt - camera.lastTimestamp)) : NaN),
      ),
      ...perCamera(
        'nvr_backup_camera_recovery_last_seconds',
        "Recovery point of each camera's last clip that landed: from the clip's end to its object in the bucket.",
        (camera) => ms(camera.recoveryLastMs),
      ),
      ...perCamera(
        'nvr_backup_camera_recovery_worst_today_seconds',
        'The worst recovery point of each camera today (UTC day): the longest a clip that ended today waited to be off-site.',
        (camera) => ms(camera.recoveryWorstTodayMs),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The newest success time (ms) an earlier run wrote into the file, or undefined. */
export async function previousSuccess(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const match = new RegExp(`^${LAST_SUCCESS} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  const value = match ? Number(match[1]) * 1000 : 0;
  return value > 0 && Number.isFinite(value) ? value : undefined;
}

/** Writes the file atomically: a temporary file next to it, then a rename over it. */
export async function writeMetricsFile(path: string, metrics: RunMetrics): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, formatMetrics(metrics), { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
