// Clips that could not be backed up the normal way, recorded in their camera's state, pure: a stored object with
// the wrong bytes (never counted as backed up; copied again under a new name) and clips the runner can never
// back up (counted, the last few listed). Both are shown by `status`.
import type { CameraState, ClipIssue, MismatchRecord } from './ports.js';
import { boundedText, clipKey, MAX_DISPLAY_CHARS, MAX_MISMATCHES_PER_CAMERA, MAX_OBJECT_NAME_CHARS, MAX_UNSUPPORTED_LISTED } from './state-limits.js';
import { emptyCamera } from './watermark.js';

/** The camera's open (no right copy yet) mismatch record of a clip, if any. */
export function openMismatch(state: CameraState | undefined, clipId: string): MismatchRecord | undefined {
  const key = clipKey(clipId);
  return state?.mismatches.find((record) => record.clipKey === key && record.rightCopy === undefined);
}

/**
 * The name a clip's next copy goes under when its own name holds wrong bytes: `{name}_r{n}` before the
 * extension. The key can neither delete nor overwrite, so each attempt needs a name never used before.
 */
export function copyName(objectName: string, attempt: number): string {
  const dot = objectName.lastIndexOf('.');
  const slash = objectName.lastIndexOf('/');
  return dot > slash ? `${objectName.slice(0, dot)}_r${attempt}${objectName.slice(dot)}` : `${objectName}_r${attempt}`;
}

/**
 * Every open record is kept (dropping one would let a later 412 count that clip as backed up); resolved ones
 * fill the rest of MAX_MISMATCHES_PER_CAMERA, newest first.
 */
function boundMismatches(records: MismatchRecord[]): MismatchRecord[] {
  const open = records.filter((record) => record.rightCopy === undefined);
  const resolved = records.filter((record) => record.rightCopy !== undefined).sort((a, b) => (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0));
  return [...open, ...resolved.slice(0, Math.max(0, MAX_MISMATCHES_PER_CAMERA - open.length))];
}

export function applyClipIssue(previous: CameraState | undefined, cameraName: string, issue: ClipIssue): CameraState {
  const camera = previous ?? emptyCamera(cameraName);
  const key = clipKey(issue.clipId);
  const others = camera.mismatches.filter((record) => record.clipKey !== key);
  const existing = camera.mismatches.find((record) => record.clipKey === key);
  switch (issue.kind) {
    case 'mismatch': {
      if (existing && existing.rightCopy === undefined) return camera;
      const record: MismatchRecord = {
        clipKey: key,
        clipId: boundedText(issue.clipId),
        startTime: issue.startTime,
        end: issue.end,
        wrongObject: boundedText(issue.wrongObject, MAX_OBJECT_NAME_CHARS),
        detectedAt: issue.at,
        attempts: 0,
      };
      return { ...camera, mismatches: boundMismatches([...others, record]) };
    }
    case 'mismatch-retry-failed': {
      if (!existing || existing.rightCopy !== undefined) return camera;
      return { ...camera, mismatches: boundMismatches([...others, { ...existing, attempts: existing.attempts + 1 }]) };
    }
    case 'right-copy': {
      if (!existing || existing.rightCopy !== undefined) return camera;
      const resolved = { ...existing, rightCopy: boundedText(issue.object, MAX_OBJECT_NAME_CHARS), resolvedAt: issue.at };
      return { ...camera, mismatches: boundMismatches([...others, resolved]) };
    }
    case 'unsupported': {
      const entry = { clipId: boundedText(issue.clipId), startTime: issue.startTime, at: issue.at, reason: boundedText(issue.reason, MAX_DISPLAY_CHARS) };
      const recent = [...camera.unsupported.recent, entry].slice(-MAX_UNSUPPORTED_LISTED);
      return { ...camera, unsupported: { count: camera.unsupported.count + 1, recent } };
    }
  }
}
