// Checks synthesized Terraform JSON against the Google provider's schema as carried in the provider package's
// .jsii file (terraform validate cannot run offline: no provider plugin). For each resource block: the resource
// type exists, every attribute is a property of its config struct (nested blocks recursively), and every
// required property is present. Terraform meta-arguments are allowed everywhere a resource allows them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface JsiiProperty {
  name: string;
  optional?: boolean;
  type: { fqn?: string; primitive?: string; collection?: { kind: string; elementtype: JsiiProperty['type'] }; union?: unknown };
}
interface JsiiType {
  kind: string;
  properties?: JsiiProperty[];
  interfaces?: string[];
}

const META = new Set(['depends_on', 'count', 'for_each', 'provider', 'lifecycle', 'provisioner', 'connection', '//']);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

export class ProviderSchema {
  private readonly types: Record<string, JsiiType>;

  constructor() {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@cdktf/provider-google/package.json'));
    this.types = (JSON.parse(readFileSync(join(root, '.jsii'), 'utf8')) as { types: Record<string, JsiiType> }).types;
  }

  private configFqn(resourceType: string): string {
    const base = resourceType.replace(/^google_/, '');
    const module = camel(base);
    const pascal = module.charAt(0).toUpperCase() + module.slice(1);
    return `@cdktf/provider-google.${module}.${pascal}Config`;
  }

  /** The provider struct a property holds (directly, in a list, or in a union with IResolvable). */
  private structOf(type: JsiiProperty['type']): string | undefined {
    const candidates = [type, type.collection?.elementtype, ...(((type.union as { types?: Array<JsiiProperty['type']> } | undefined)?.types) ?? [])];
    for (const candidate of candidates) {
      const fqn = candidate?.fqn ?? candidate?.collection?.elementtype.fqn;
      if (fqn?.startsWith('@cdktf/provider-google') && this.types[fqn]?.kind === 'interface') return fqn;
    }
    return undefined;
  }

  private properties(fqn: string): JsiiProperty[] {
    const type = this.types[fqn];
    if (!type) return [];
    const inherited = (type.interfaces ?? []).filter((base) => base.startsWith('@cdktf/provider-google')).flatMap((base) => this.properties(base));
    return [...(type.properties ?? []), ...inherited];
  }

  private checkBlock(path: string, block: Record<string, unknown>, fqn: string, errors: string[], allowMeta: boolean): void {
    const properties = this.properties(fqn);
    const byName = new Map(properties.map((property) => [snake(property.name), property]));
    for (const [key, value] of Object.entries(block)) {
      if (allowMeta && META.has(key)) continue;
      const property = byName.get(key);
      if (!property) {
        errors.push(`${path}: unknown attribute ${key}`);
        continue;
      }
      const nested = this.structOf(property.type);
      if (nested && this.types[nested]?.kind === 'interface' && value && typeof value === 'object') {
        const items = Array.isArray(value) ? value : [value];
        items.forEach((item, index) => this.checkBlock(`${path}.${key}[${index}]`, item as Record<string, unknown>, nested, errors, false));
      } else if (property.type.primitive === 'string' && typeof value !== 'string') {
        errors.push(`${path}: ${key} must be a string`);
      } else if (property.type.primitive === 'number' && typeof value !== 'number' && !(typeof value === 'string' && value.startsWith('${'))) {
        errors.push(`${path}: ${key} must be a number`);
      }
    }
    for (const property of properties) {
      if (!property.optional && !(snake(property.name) in block)) errors.push(`${path}: missing required attribute ${snake(property.name)}`);
    }
  }

  /** Every problem found in the `resource` section of a synthesized stack. */
  validate(stack: { resource?: Record<string, Record<string, Record<string, unknown>>> }): string[] {
    const errors: string[] = [];
    for (const [type, blocks] of Object.entries(stack.resource ?? {})) {
      const fqn = this.configFqn(type);
      if (!this.types[fqn]) {
        errors.push(`${type}: not a resource of the Google provider`);
        continue;
      }
      for (const [name, block] of Object.entries(blocks)) this.checkBlock(`${type}.${name}`, block, fqn, errors, true);
    }
    return errors;
  }
}
