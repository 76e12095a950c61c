// Where Google's storage-testbench (googleapis/storage-testbench, what Google's client libraries test against)
// and the documentation of real GCS differ or are silent, the test server can act either way, so the sink's
// tests meet both. Defaults follow the documentation where it speaks, else the testbench. docs/gcs-test-server.md
// lists each row with its sources.
export interface ServerBehaviour {
  /** Resumable upload with `ifGenerationMatch=0` of an existing name: 412 at the session open too (else only after the bytes). */
  preconditionAtOpen: boolean;
  /** A hash that does not match: `documented-400` (data-validation page) or `testbench-412` (testbench/error.py mismatch). */
  hashMismatch: 'documented-400' | 'testbench-412';
  /** An empty object's resource: `"size":"0"` (JSON API reference) or no `size` (the testbench). */
  emptySize: 'zero' | 'omitted';
  /** Error bodies: GCS's `errors[].reason` (status-codes page) or the testbench's message-only bodies. */
  errorBodies: 'gcs' | 'testbench';
  /** An injected early error on a request with a body: answer and close without reading it (testbench), or read it first. */
  earlyAnswer: 'close' | 'drain';
  /** Idle keep-alive connections are closed after this many ms (the testbench's server: about 2 s). */
  idleCloseMs: number;
}

export const DEFAULT_BEHAVIOUR: ServerBehaviour = {
  preconditionAtOpen: false,
  hashMismatch: 'documented-400',
  emptySize: 'zero',
  errorBodies: 'gcs',
  earlyAnswer: 'close',
  idleCloseMs: 2000,
};

/** Everything as Google's storage-testbench does it. */
export const TESTBENCH_BEHAVIOUR: ServerBehaviour = { ...DEFAULT_BEHAVIOUR, hashMismatch: 'testbench-412', emptySize: 'omitted', errorBodies: 'testbench' };
