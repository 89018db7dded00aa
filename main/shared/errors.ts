// Errors as values: a stable `code` a program can switch on and a `message` a person can act on.
// Each leaf (host, trust, policy) narrows `Code` to its own union of codes.

export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** A JSON-safe view for logs, the CLI's --json output and IPC. */
  toJSON(): { code: Code; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The message of anything thrown, for the rare place that must report an unknown failure. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
