// Where one clip's upload spends its time (the `clip.timeline` debug line, and `make bench`'s breakdown): the
// instants of its phases in milliseconds since the upload began, the last attempt's when it was retried.
// Marking is a clock read and a property write per phase, cheap enough to stay on in every run.
import { performance } from 'node:perf_hooks';

/** Phases in the order an upload passes them (sessionOpened only for resumable uploads). */
export const UPLOAD_PHASES = ['sourceOpened', 'sessionOpened', 'firstByte', 'lastByte', 'requestSent', 'answerStarted', 'done'] as const;
export type UploadPhase = (typeof UPLOAD_PHASES)[number];

/** Milliseconds from the upload's start to each phase it reached. */
export type UploadPhases = Partial<Record<UploadPhase, number>>;

export class UploadTimeline {
  private readonly start = performance.now();
  readonly phases: UploadPhases = {};

  /** Records that `phase` was reached now (a later attempt's mark replaces an earlier one's). */
  mark(phase: UploadPhase): void {
    this.phases[phase] = Math.round((performance.now() - this.start) * 10) / 10;
  }

  /** Forgets the marks of a failed attempt (the retry's own are what the timeline shows). */
  restart(): void {
    for (const phase of UPLOAD_PHASES) delete this.phases[phase];
  }
}
