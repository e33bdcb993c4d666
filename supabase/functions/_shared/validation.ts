/**
 * Input validation at the HTTP boundary, one way for every function: a request body or query that
 * fails its zod schema is a 400 whose message lists the first issues as `path: message` (the
 * whole input is named `where`), unknown fields by name.
 *
 * @module
 */
import type { z } from "./deps.ts";
import { HttpError } from "./http.ts";

/** How a failure is answered. */
export interface InvalidInputOptions {
  /** The error code (default `invalid_body`). */
  code?: string;
  /** What an issue without a path refers to (default `body`). */
  where?: string;
  /** The fields the input may have, named when it has unknown ones. */
  expected?: readonly string[];
}

/** At most this many issues are described; the rest are counted. */
const MAX_ISSUES = 5;

/** The issues of `error` as one readable line. */
export function describeIssues(error: z.ZodError, options: InvalidInputOptions = {}): string {
  const where = options.where ?? "body";
  const parts = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const expected = options.expected ? `; expected ${options.expected.join(", ")}` : "";
      return `unknown field(s) ${issue.keys.join(", ")}${expected}`;
    }
    return `${issue.path.length ? issue.path.join(".") : where}: ${issue.message}`;
  });
  const more = error.issues.length - MAX_ISSUES;
  return parts.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}

/** The 400 for input that failed its schema. */
export function invalidInput(error: z.ZodError, options: InvalidInputOptions = {}): HttpError {
  return new HttpError(400, options.code ?? "invalid_body", describeIssues(error, options));
}

/** `input` validated by `schema`, or the 400 thrown ({@link invalidInput}). */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: InvalidInputOptions = {},
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error, options);
  return parsed.data;
}
