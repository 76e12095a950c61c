// The synthesized JSON against the Google provider schema from the provider package's .jsii file.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ProviderSchema } from './support/jsii-schema.js';
import { synth } from './support/synth.js';

const schema = new ProviderSchema();

it('every resource of the stack (with and without key and retention lock) fits the provider schema', () => {
  for (const json of [synth(), synth({ createKey: true, retentionLockDays: 3, lockRetention: true })]) {
    assert.deepEqual(schema.validate(json), []);
  }
});

it('catches an unknown attribute, a missing required one, a wrong type and an unknown resource type', () => {
  const broken = structuredClone(synth());
  const bucket = Object.values(broken.resource.google_storage_bucket ?? {})[0] as Record<string, unknown>;
  bucket.no_such_attribute = true;
  delete bucket.location;
  bucket.storage_class = 42;
  (bucket.lifecycle_rule as Array<Record<string, unknown>>)[0]!.bogus_nested = 1;
  broken.resource.google_no_such_thing = { x: {} };
  const errors = schema.validate(broken).join('\n');
  assert.match(errors, /unknown attribute no_such_attribute/);
  assert.match(errors, /missing required attribute location/);
  assert.match(errors, /storage_class must be a string/);
  assert.match(errors, /lifecycle_rule\[0\]: unknown attribute bogus_nested/);
  assert.match(errors, /google_no_such_thing: not a resource of the Google provider/);
});
