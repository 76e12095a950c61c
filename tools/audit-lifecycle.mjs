#!/usr/bin/env node
// `make audit [BUCKET=...]`, or `node tools/audit-lifecycle.mjs [bucket]` with the NVR_BACKUP_* settings of the deploy.
// Checks the deployed bucket against those settings: the lifecycle rule (age from NVR_BACKUP_RETENTION_DAYS,
// printed as `gsutil lifecycle get` would), storage class, uniform access, public access prevention, soft delete
// off, versioning off, the retention policy, and the runner's roles. The logic is infra/src/audit/ (the pure
// comparison in compare.ts, tested in infra/test/audit.test.ts); tsx loads its TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('../infra/src/audit/main.ts');
