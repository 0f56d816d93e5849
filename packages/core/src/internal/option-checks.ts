/**
 * A tiny declarative validator for options objects: each option gets a {@link Check} that adds
 * a message to the issues when its value is wrong, and messages read `<path> <message>`, where
 * the message says what the option expects with an example. It replaces a schema library on
 * purpose: options are validated once, at construction, and a schema library would be most of
 * an edge bundle (see bench/RESULTS.md, "Edge bundle").
 *
 * Internal: nothing here is exported from the package.
 */

/** One validation problem: the dotted path of the option and what it must be. */
export interface OptionIssue {
  path: string;
  message: string;
}

/** Checks `value` at `path`, adding an issue for each problem. `undefined` means "not given". */
export type Check = (value: unknown, path: string, issues: OptionIssue[]) => void;

/** A plain object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `check` for a value that may be left out (`undefined`). */
export function optional(check: Check): Check {
  return (value, path, issues) => {
    if (value !== undefined) check(value, path, issues);
  };
}

/** A value for which `test` holds, else `message`. */
export function satisfies(test: (value: unknown) => boolean, message: string): Check {
  return (value, path, issues) => {
    if (!test(value)) issues.push({ path, message });
  };
}

/** A string passing `test`; `typeMessage` when it is no string, `message` when `test` fails. */
export function stringWhere(test: (value: string) => boolean, typeMessage: string, message: string): Check {
  return (value, path, issues) => {
    if (typeof value !== 'string') issues.push({ path, message: typeMessage });
    else if (!test(value)) issues.push({ path, message });
  };
}

/** A whole number from `min` to `max`, else `message`. */
export function wholeNumber(min: number, max: number, message: string): Check {
  return satisfies(
    (value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
    message,
  );
}

/** `true` or `false`. */
export const flag: Check = satisfies((value) => typeof value === 'boolean', 'must be true or false');

/** A function; the message names the expected `signature`. */
export function fn(signature: string): Check {
  return satisfies((value) => typeof value === 'function', `must be a function ${signature}`);
}

/**
 * A plain object with only the keys of `shape` (each checked by its own {@link Check}, at
 * `path.key`): `must be <expected>` when it is no plain object, and the unknown keys with the
 * known ones when it has others.
 */
export function section(shape: Readonly<Record<string, Check>>, expected: string): Check {
  const known = Object.keys(shape);
  return (value, path, issues) => {
    if (!isRecord(value)) {
      issues.push({ path, message: `must be ${expected}` });
      return;
    }
    for (const key of known) (shape[key] as Check)(value[key], `${path}.${key}`, issues);
    const unknown = Object.keys(value).filter((key) => !Object.hasOwn(shape, key));
    if (unknown.length > 0) {
      issues.push({
        path,
        message: `has unknown key(s) ${unknown.map((key) => JSON.stringify(key)).join(', ')}; known keys: ${known.join(', ')}`,
      });
    }
  };
}

/** Runs `check` on `value` at the root path `options`; the issues found, as one message each. */
export function collectIssues(check: Check, value: unknown): string[] {
  const issues: OptionIssue[] = [];
  check(value, 'options', issues);
  return issues.map(({ path, message }) => `${path.replace(/^options\./, '')} ${message}`);
}
