import { readFileSync, statSync } from 'node:fs';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { InputFileError } from '../util/errors.js';
import { locateYamlPath } from './yaml-locator.js';

/** Turns one schema issue into a sentence naming the key, e.g. "unknown key 'cpuz'". */
function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; text: string } {
  const path = [...issue.path];
  const where = path.length ? `'${path.join('.')}'` : 'document';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return {
      path: [...path, keys[0] ?? ''],
      text: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${[...path, k].join('.')}'`).join(', ')}`,
    };
  }
  return { path, text: `${where}: ${issue.message}` };
}

/**
 * Parses YAML text and validates it against a schema. Every failure is a InputFileError naming the file,
 * the line and the key, so a person can jump straight to it.
 */
export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      throw new InputFileError(file, e.mark ? e.mark.line + 1 : undefined, `YAML syntax error: ${e.reason}`);
    }
    // js-yaml parses nesting by recursion: a document nested deep enough runs out of stack.
    if (e instanceof RangeError)
      throw new InputFileError(
        file,
        undefined,
        `nested too deeply to be a lab file (more than ${MAX_YAML_DEPTH} levels)`,
      );
    throw e;
  }
  const shape = yamlShapeProblem(doc);
  if (shape) throw new InputFileError(file, undefined, shape);
  const result = schema.safeParse(doc ?? {});
  if (result.success) return result.data;
  // A misspelt key also shows up as a missing one; the unknown key is the cause, so it comes first.
  const sorted = [...result.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const issues = sorted.map(describeIssue);
  const first = issues[0]!;
  const line = locateYamlPath(
    text,
    first.path.filter((p): p is string | number => typeof p !== 'symbol'),
  );
  const more = issues.slice(1).map((i) => {
    const l = locateYamlPath(
      text,
      i.path.filter((p): p is string | number => typeof p !== 'symbol'),
    );
    return `\n${file}${l ? `:${l}` : ''}: ${i.text}`;
  });
  throw new InputFileError(file, line, first.text + more.join(''));
}

/** Lab YAML files (guests, suites, series, matrices, lab config) are small: more is not one of them. */
export const MAX_YAML_BYTES = 1024 * 1024;
export const MAX_YAML_DEPTH = 64;
/** Nodes counted as a reader sees them: an alias counts again each time (billion laughs stays bounded). */
export const MAX_YAML_NODES = 100_000;

/**
 * Pure: why a loaded document is not the shape of a lab file, or undefined. Walked with a stack of its
 * own, not recursion, and stopped at the first limit: linear in what it visits, whatever the input.
 */
export function yamlShapeProblem(doc: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[doc, 1]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > MAX_YAML_NODES)
      return `more than ${MAX_YAML_NODES} values (aliases counted each time they are used): not a lab file`;
    if (depth > MAX_YAML_DEPTH) return `nested more than ${MAX_YAML_DEPTH} levels deep: not a lab file`;
    if (v && typeof v === 'object') for (const c of Object.values(v as object)) stack.push([c, depth + 1]);
  }
  return undefined;
}

export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    // Checked before it is read: a FIFO would block for ever, /dev/zero never end.
    const st = statSync(file);
    if (!st.isFile()) throw new InputFileError(file, undefined, 'not a regular file');
    if (st.size > MAX_YAML_BYTES)
      throw new InputFileError(
        file,
        undefined,
        `${st.size} bytes: more than the ${MAX_YAML_BYTES} a lab file may have`,
      );
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(file, undefined, `cannot read: ${(e as Error).message}`);
  }
  return parseYaml(text, file, schema);
}
