import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { locateYamlPath } from './yaml-locator.js';

/** Turns one schema issue into a sentence naming the key, e.g. "unknown key 'cpuz'". */
function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; text: string } {
  const path = [...issue.path];
  const where = path.length ? `'${path.join('.')}'` : 'document';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { path: [...path, keys[0] ?? ''], text: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${[...path, k].join('.')}'`).join(', ')}` };
  }
  return { path, text: `${where}: ${issue.message}` };
}

/**
 * Parses YAML text and validates it against a schema. Every failure is a ConfigError naming the file,
 * the line and the key, so a person can jump straight to it.
 */
export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      throw new ConfigError(file, e.mark ? e.mark.line + 1 : undefined, `YAML syntax error: ${e.reason}`);
    }
    throw e;
  }
  const result = schema.safeParse(doc ?? {});
  if (result.success) return result.data;
  // A misspelt key also shows up as a missing one; the unknown key is the cause, so it comes first.
  const sorted = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const issues = sorted.map(describeIssue);
  const first = issues[0]!;
  const line = locateYamlPath(text, first.path.filter((p): p is string | number => typeof p !== 'symbol'));
  const more = issues.slice(1).map((i) => {
    const l = locateYamlPath(text, i.path.filter((p): p is string | number => typeof p !== 'symbol'));
    return `\n${file}${l ? `:${l}` : ''}: ${i.text}`;
  });
  throw new ConfigError(file, line, first.text + more.join(''));
}

export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, `cannot read: ${(e as Error).message}`);
  }
  return parseYaml(text, file, schema);
}
