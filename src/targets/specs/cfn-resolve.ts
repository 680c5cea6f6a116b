// CloudFormation's intrinsic functions, evaluated as far as the template alone allows: `Ref` to parameters (their
// Default, or a value passed in) and to pseudo-parameters passed in, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
// `Fn::Split`, `Fn::If` over evaluable conditions, `Fn::FindInMap`, `Fn::Base64`, `Fn::Length`, `Fn::ToJsonString`.
// What only a deployment knows (`Fn::GetAtt`, `Fn::ImportValue`, a resource's `Ref`, SSM parameters) is reported as
// unresolved, with the expression that stopped it.

import { isIntrinsicName, shortTag } from './cfn-tags.js';
import { describeValue, isObject } from './collect.js';

export type Outcome = { ok: true; value: unknown } | { ok: false; why: string };

/** `Ref: AWS::NoValue`: the property is left out. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

const MAX_DEPTH = 64;

function ok(value: unknown): Outcome {
  return { ok: true, value };
}

function fail(why: string): Outcome {
  return { ok: false, why };
}

/** An intrinsic function call as `[name, argument]`, or undefined for any other value. */
function intrinsic(node: unknown): [string, unknown] | undefined {
  if (!isObject(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return isIntrinsicName(key) ? [key, node[key]] : undefined;
}

/** How an intrinsic reads in a message: `!GetAtt Repo.RepositoryUri`, `!ImportValue shared-repo`. */
function show(name: string, arg: unknown): string {
  const tag = shortTag(name) ?? name;
  if (name === 'Fn::GetAtt' && Array.isArray(arg)) return `${tag} ${arg.map(String).join('.')}`;
  return `${tag} ${typeof arg === 'string' ? arg : describeValue(arg, 60)}`;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function partitionOf(region: string): { partition: string; suffix: string } {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', suffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', suffix: 'amazonaws.com' };
  return { partition: 'aws', suffix: 'amazonaws.com' };
}

export interface ResolverOptions {
  parameters?: Readonly<Record<string, string>>;
  pseudoParameters?: Readonly<Record<string, string>>;
}

export class CfnResolver {
  private readonly parameters: Record<string, unknown>;
  private readonly mappings: Record<string, unknown>;
  private readonly conditions: Record<string, unknown>;
  private readonly resources: Record<string, unknown>;
  private readonly pseudo = new Map<string, string>();
  private readonly conditionValues = new Map<string, Outcome>();
  private readonly evaluating = new Set<string>();
  private depth = 0;

  constructor(
    template: Record<string, unknown>,
    private readonly options: ResolverOptions,
  ) {
    this.parameters = isObject(template.Parameters) ? template.Parameters : {};
    this.mappings = isObject(template.Mappings) ? template.Mappings : {};
    this.conditions = isObject(template.Conditions) ? template.Conditions : {};
    this.resources = isObject(template.Resources) ? template.Resources : {};
    for (const [key, value] of Object.entries(options.pseudoParameters ?? {})) {
      if (typeof value === 'string') this.pseudo.set(key, value);
    }
    const region = this.pseudo.get('AWS::Region');
    if (region !== undefined) {
      const { partition, suffix } = partitionOf(region);
      if (!this.pseudo.has('AWS::Partition')) this.pseudo.set('AWS::Partition', partition);
      if (!this.pseudo.has('AWS::URLSuffix')) this.pseudo.set('AWS::URLSuffix', suffix);
    }
  }

  /**
   * Evaluates the intrinsic functions at the top of `node` only, so a list written as `!If [...]` or `!Ref` of a
   * list parameter can be walked entry by entry.
   */
  shallow(node: unknown): Outcome {
    return this.guarded(() => {
      let current = node;
      for (let step = 0; step < MAX_DEPTH; step++) {
        const call = intrinsic(current);
        if (call === undefined) return ok(current);
        const result = this.call(call[0], call[1]);
        if (!result.ok) return result;
        current = result.value;
      }
      return fail('intrinsic functions nested too deeply');
    });
  }

  /** Evaluates every intrinsic function in `node`; `AWS::NoValue` entries are left out of lists and maps. */
  deep(node: unknown): Outcome {
    return this.guarded(() => {
      const top = this.shallow(node);
      if (!top.ok) return top;
      const value = top.value;
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (const entry of value) {
          const r = this.deep(entry);
          if (!r.ok) return r;
          if (r.value !== NO_VALUE) out.push(r.value);
        }
        return ok(out);
      }
      if (isObject(value)) {
        const out: Record<string, unknown> = {};
        for (const [key, entry] of Object.entries(value)) {
          const r = this.deep(entry);
          if (!r.ok) return r;
          if (r.value !== NO_VALUE) out[key] = r.value;
        }
        return ok(out);
      }
      return ok(value);
    });
  }

  /** A string value, fully evaluated (numbers and booleans read as text). */
  text(node: unknown): Outcome {
    const r = this.deep(node);
    if (!r.ok || r.value === NO_VALUE) return r;
    if (r.value === undefined || r.value === null) return ok(undefined);
    const text = scalarText(r.value);
    return text === undefined ? fail(`${describeValue(r.value, 60)} is not a string`) : ok(text);
  }

  /** The value of a named condition. */
  condition(name: string): Outcome {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    if (!(name in this.conditions)) return fail(`condition ${name} is not defined`);
    if (this.evaluating.has(name)) return fail(`condition ${name} refers to itself`);
    this.evaluating.add(name);
    const result = this.conditionExpression(this.conditions[name]);
    this.evaluating.delete(name);
    this.conditionValues.set(name, result);
    return result;
  }

  private guarded(run: () => Outcome): Outcome {
    if (this.depth >= MAX_DEPTH) return fail('intrinsic functions nested too deeply');
    this.depth++;
    try {
      return run();
    } finally {
      this.depth--;
    }
  }

  private conditionExpression(node: unknown): Outcome {
    if (typeof node === 'boolean') return ok(node);
    if (isObject(node) && Object.keys(node).length === 1 && typeof node.Condition === 'string') {
      return this.condition(node.Condition);
    }
    const call = intrinsic(node);
    if (call === undefined) return fail(`${describeValue(node, 60)} is not a condition`);
    return this.guarded(() => this.call(call[0], call[1]));
  }

  private list(node: unknown, what: string): { ok: true; value: unknown[] } | { ok: false; why: string } {
    const r = this.shallow(node);
    if (!r.ok) return { ok: false, why: r.why };
    return Array.isArray(r.value) ? { ok: true, value: r.value } : { ok: false, why: `${what} is not a list` };
  }

  private call(name: string, arg: unknown): Outcome {
    switch (name) {
      case 'Ref':
        return typeof arg === 'string' ? this.ref(arg) : fail(`${show(name, arg)}: Ref takes a name`);
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Join':
        return this.join(arg);
      case 'Fn::Select':
        return this.select(arg);
      case 'Fn::Split': {
        if (!Array.isArray(arg) || arg.length !== 2) return fail(`${show(name, arg)}: expected [delimiter, string]`);
        const delimiter = this.text(arg[0]);
        if (!delimiter.ok) return delimiter;
        const source = this.text(arg[1]);
        if (!source.ok) return source;
        return ok(String(source.value).split(String(delimiter.value)));
      }
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
          return fail(`${show(name, arg)}: expected [condition, value if true, value if false]`);
        }
        const condition = this.condition(arg[0]);
        if (!condition.ok) return fail(`${show(name, arg[0])}: ${condition.why}`);
        return ok(condition.value === true ? arg[1] : arg[2]);
      }
      case 'Fn::FindInMap':
        return this.findInMap(arg);
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) return fail(`${show(name, arg)}: expected two values`);
        const a = this.deep(arg[0]);
        if (!a.ok) return a;
        const b = this.deep(arg[1]);
        if (!b.ok) return b;
        const x = scalarText(a.value);
        const y = scalarText(b.value);
        return ok(x !== undefined && y !== undefined ? x === y : JSON.stringify(a.value) === JSON.stringify(b.value));
      }
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or': {
        const parts = Array.isArray(arg) ? arg : [arg];
        const values: boolean[] = [];
        for (const part of parts) {
          const r = this.conditionExpression(part);
          if (!r.ok) return r;
          values.push(r.value === true);
        }
        if (name === 'Fn::Not') return ok(!values[0]);
        return ok(name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean));
      }
      case 'Fn::Base64': {
        const r = this.text(arg);
        return r.ok ? ok(Buffer.from(String(r.value), 'utf8').toString('base64')) : r;
      }
      case 'Fn::Length': {
        const r = this.list(arg, show(name, arg));
        return r.ok ? ok(r.value.length) : r;
      }
      case 'Fn::ToJsonString': {
        const r = this.deep(arg);
        return r.ok ? ok(JSON.stringify(r.value)) : r;
      }
      case 'Fn::GetAtt':
        return fail(`${show(name, arg)} is known only when the stack is deployed`);
      case 'Fn::ImportValue':
        return fail(`${show(name, arg)} is exported by another stack`);
      case 'Fn::GetAZs':
      case 'Fn::Cidr':
        return fail(`${show(name, arg)} is known only when the stack is deployed`);
      case 'Fn::Transform':
        return fail(`${show(name, arg)} is expanded by a macro when the stack is deployed`);
      default:
        return fail(`${show(name, arg)} is not supported`);
    }
  }

  private ref(name: string): Outcome {
    if (name === 'AWS::NoValue') return ok(NO_VALUE);
    if (name.startsWith('AWS::')) {
      const value = this.pseudo.get(name);
      return value === undefined ? fail(`the pseudo-parameter ${name} was not given`) : ok(value);
    }
    if (name in this.parameters) return this.parameter(name);
    if (name in this.resources) return fail(`!Ref ${name} is a resource's ID, known only when the stack is deployed`);
    return fail(`!Ref ${name} names no parameter or resource`);
  }

  private parameter(name: string): Outcome {
    const definition = this.parameters[name];
    const type = isObject(definition) && typeof definition.Type === 'string' ? definition.Type : 'String';
    const override = this.options.parameters?.[name];
    const value = override ?? (isObject(definition) ? definition.Default : undefined);
    if (value === undefined || value === null) return fail(`parameter ${name} has no Default value and none was given`);
    if (override === undefined && type.startsWith('AWS::SSM::Parameter::Value')) {
      return fail(`parameter ${name} is read from the SSM parameter ${describeValue(value, 60)} at deploy time`);
    }
    if (type === 'CommaDelimitedList' || type.startsWith('List<') || type.includes('::List<')) {
      return ok(Array.isArray(value) ? value : String(value).split(','));
    }
    const text = scalarText(value);
    return text === undefined ? fail(`parameter ${name}'s value is not a string`) : ok(text);
  }

  private sub(arg: unknown): Outcome {
    let template: unknown = arg;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      if (arg.length !== 2 || !isObject(arg[1])) return fail(`${show('Fn::Sub', arg)}: expected [string, variables]`);
      template = arg[0];
      variables = arg[1];
    }
    if (typeof template !== 'string') return fail(`${show('Fn::Sub', arg)}: the template is not a string`);
    let out = '';
    let last = 0;
    for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
      out += template.slice(last, match.index);
      last = match.index + match[0].length;
      const body = match[1] ?? '';
      if (body.startsWith('!')) {
        out += `\${${body.slice(1)}}`;
        continue;
      }
      const key = body.trim();
      let value: Outcome;
      if (key in variables) value = this.text(variables[key]);
      else if (key.includes('.') && !key.startsWith('AWS::')) {
        value = fail(`\${${key}} in !Sub is an attribute known only when the stack is deployed`);
      } else value = this.ref(key);
      if (!value.ok) return value;
      const text = scalarText(value.value);
      if (text === undefined) return fail(`\${${key}} in !Sub is not a string`);
      out += text;
    }
    return ok(out + template.slice(last));
  }

  private join(arg: unknown): Outcome {
    if (!Array.isArray(arg) || arg.length !== 2) return fail(`${show('Fn::Join', arg)}: expected [delimiter, list]`);
    const delimiter = this.text(arg[0]);
    if (!delimiter.ok) return delimiter;
    const list = this.list(arg[1], show('Fn::Join', arg));
    if (!list.ok) return list;
    const parts: string[] = [];
    for (const entry of list.value) {
      const r = this.deep(entry);
      if (!r.ok) return r;
      if (r.value === NO_VALUE) continue;
      const text = scalarText(r.value);
      if (text === undefined) return fail(`${describeValue(r.value, 60)} in !Join is not a string`);
      parts.push(text);
    }
    return ok(parts.join(String(delimiter.value)));
  }

  private select(arg: unknown): Outcome {
    if (!Array.isArray(arg) || arg.length !== 2) return fail(`${show('Fn::Select', arg)}: expected [index, list]`);
    const index = this.text(arg[0]);
    if (!index.ok) return index;
    const n = Number(index.value);
    const list = this.list(arg[1], show('Fn::Select', arg));
    if (!list.ok) return list;
    if (!Number.isInteger(n) || n < 0 || n >= list.value.length) {
      return fail(`${show('Fn::Select', arg)}: index ${String(index.value)} is out of range`);
    }
    return ok(list.value[n]);
  }

  private findInMap(arg: unknown): Outcome {
    if (!Array.isArray(arg) || arg.length < 3) {
      return fail(`${show('Fn::FindInMap', arg)}: expected [map, top-level key, second-level key]`);
    }
    const keys: string[] = [];
    for (const part of arg.slice(0, 3)) {
      const r = this.text(part);
      if (!r.ok) return r;
      keys.push(String(r.value));
    }
    const [map = '', top = '', second = ''] = keys;
    const level1 = this.mappings[map];
    const level2 = isObject(level1) ? level1[top] : undefined;
    const value = isObject(level2) ? level2[second] : undefined;
    if (value !== undefined) return ok(value);
    // AWS::LanguageExtensions: a fourth argument { DefaultValue: … }.
    const fallback = arg[3];
    if (isObject(fallback) && 'DefaultValue' in fallback) return ok(fallback.DefaultValue);
    return fail(`!FindInMap [${keys.join(', ')}] is not in the template's Mappings`);
  }
}
