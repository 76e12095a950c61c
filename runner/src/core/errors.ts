// Errors the core gives meaning to. Adapters throw them; the job decides what they do to the watermark.

/**
 * A clip this runner can never back up (e.g. only an ffmpeg/RTSP input, no file to stream). It is reported on
 * every run it is seen in, and the watermark may pass it: retrying cannot help.
 */
export class UnsupportedClipError extends Error {
  override readonly name = 'UnsupportedClipError';
}

export function isUnsupportedClipError(error: unknown): boolean {
  return error instanceof Error && error.name === 'UnsupportedClipError';
}
