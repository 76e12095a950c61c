// The `clip.timeline` debug line: per clip, the milliseconds from its upload's start to each phase the sink
// reports (for GCS: source opened, session opened, first and last byte, request sent, answer started, done;
// a retried upload's later attempt overwrites the earlier one's marks), then to the state transaction that
// recorded the clip, with the time its camera's listing took. Nothing is kept unless debug is on.
import { performance } from 'node:perf_hooks';
import type { UploadPhaseRecorder } from '../core/ports.js';
import type { Logger } from '../log.js';

interface Timeline {
  object: string;
  startedAt: number;
  bytes: number;
  phases: Record<string, number>;
}

const sinceMs = (startedAt: number) => Math.round((performance.now() - startedAt) * 10) / 10;

export class ClipTimelines {
  private readonly timelines = new Map<string, Timeline>();
  private readonly enabled: boolean;

  constructor(private readonly log: Logger, private readonly listMs: number | undefined) {
    this.enabled = log.isLevelEnabled('debug');
  }

  /** Starts a clip's timeline; the recorder goes to the sink (undefined when debug is off). */
  start(clipId: string, object: string): UploadPhaseRecorder | undefined {
    if (!this.enabled) return undefined;
    const timeline: Timeline = { object, startedAt: performance.now(), bytes: 0, phases: Object.create(null) as Record<string, number> };
    this.timelines.set(clipId, timeline);
    return { mark: (phase) => (timeline.phases[phase] = sinceMs(timeline.startedAt)) };
  }

  uploaded(clipId: string, bytes: number): void {
    const timeline = this.timelines.get(clipId);
    if (timeline) timeline.bytes = bytes;
  }

  /** The clips a state transaction just recorded: their timelines are complete and logged. */
  recorded(clipIds: Iterable<string>): void {
    if (!this.enabled) return;
    for (const clipId of clipIds) {
      const timeline = this.timelines.get(clipId);
      if (!timeline) continue;
      this.timelines.delete(clipId);
      this.log.debug(
        { event: 'clip.timeline', clipId, object: timeline.object, bytes: timeline.bytes, listMs: this.listMs, phases: { ...timeline.phases, stateRecorded: sinceMs(timeline.startedAt) } },
        `timeline of ${timeline.object}`,
      );
    }
  }
}
