// Errors the core gives meaning to. Adapters throw them (or wrap them as a `cause`); the job decides what they do
// to the watermark. The checks look through the `cause` chain, since a sink may wrap the source's error.

/**
 * A clip this runner can never back up (e.g. only an ffmpeg/RTSP input, no file to stream). It is counted as
 * unsupported, never as failed, and the watermark may pass it: retrying cannot help.
 */
export class UnsupportedClipError extends Error {
  override readonly name = 'UnsupportedClipError';
}

/**
 * An object was created under the clip's name, but its bytes (CRC32C or size as the server reports them) differ
 * from the clip's. A retry would only meet the object and count it as backed up, so this is reported, recorded and
 * never counted as backed up. `objectName` is the name (within the bucket) of the wrong object.
 */
export class StoredObjectMismatchError extends Error {
  override readonly name = 'StoredObjectMismatchError';
  readonly objectName: string | undefined;
  constructor(message: string, options?: ErrorOptions & { objectName?: string }) {
    super(message, options);
    this.objectName = options?.objectName;
  }
}

/** `error` and its causes, outermost first (bounded: a cyclic chain cannot loop). */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current: unknown = error; chain.length < 8 && current instanceof Error; current = current.cause) chain.push(current);
  return chain;
}

/** The first error named `name` in `error`'s cause chain. */
export function findInCauseChain(error: unknown, name: string): Error | undefined {
  return causeChain(error).find((link) => link.name === name);
}

export function isUnsupportedClipError(error: unknown): boolean {
  return findInCauseChain(error, 'UnsupportedClipError') !== undefined;
}

export function isStoredObjectMismatchError(error: unknown): boolean {
  return findInCauseChain(error, 'StoredObjectMismatchError') !== undefined;
}
