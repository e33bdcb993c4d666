/**
 * One structured logger (JSON lines). Library code receives it as an argument and never calls
 * `console.*` itself. Values that look like secrets are redacted here, at the last step.
 *
 * @module
 */

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Fields): Logger;
}

type Level = "debug" | "info" | "warn" | "error";
export type Sink = (line: string, level: Level) => void;

const SECRET_KEY = /(token|secret|password|authorization|apikey|api_key|access_key|proof)/i;
const SECRET_VALUE = [
  /EAA[A-Za-z0-9]{10,}/g, // Meta access tokens
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, // JWTs
  /(access_token|appsecret_proof|secret)=[^&\s"]+/gi, // secrets in URLs
];

/** Replaces secret-looking values (by key name or by shape) with `[redacted]`. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (typeof value === "string") {
    let out = value;
    for (const re of SECRET_VALUE) {
      out = out.replace(
        re,
        (m) => m.includes("=") ? `${m.split("=")[0]}=[redacted]` : "[redacted]",
      );
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v != null && v !== "" ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

const consoleSink: Sink = (line, level) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

/** Creates a JSON-lines logger writing to `sink` (the console by default). */
export function createLogger(base: Fields = {}, sink: Sink = consoleSink): Logger {
  const write = (level: Level, msg: string, fields?: Fields) => {
    const entry = redact({ ts: new Date().toISOString(), level, msg, ...base, ...fields });
    sink(JSON.stringify(entry), level);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}

/** A logger that keeps its lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({}, (line) => lines.push(line));
  return Object.assign(logger, { lines });
}
