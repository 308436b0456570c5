/**
 * Splits a JSON array arriving in chunks into its elements without ever holding more than one
 * element: structure is tracked byte by byte (UTF-8 never puts ASCII bytes inside a multi-byte
 * character, so quotes and brackets are found safely), and each element is handed to JSON.parse.
 * That keeps a 1 GB export at a few MB of memory and is several times faster than a token-level
 * streaming parser.
 */

export class JsonShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonShapeError";
  }
}

const enum State {
  Start,
  /** Just after `[`: an element or `]`. */
  First,
  /** After `,`: an element. */
  Before,
  In,
  After,
  Done,
  NotArray,
}

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

export interface ScannerOptions {
  /** Largest single element accepted, in bytes; a bigger one is not a listen and stops the scan. */
  maxElementBytes?: number;
}

export class JsonArrayScanner {
  private state = State.Start;
  private depth = 0;
  private inString = false;
  private escape = false;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private leading = true;
  /** Elements seen so far. */
  count = 0;
  private readonly maxElementBytes: number;

  /**
   * `onElement` receives each element parsed; returning false stops the scan (the caller has seen
   * enough, e.g. the first element shows the file is not a listening history).
   */
  constructor(
    private readonly onElement: (value: unknown, index: number) => boolean | void,
    opts: ScannerOptions = {},
  ) {
    this.maxElementBytes = opts.maxElementBytes ?? 1024 * 1024;
  }

  /** True once the input is known not to be a JSON array (its first character is not `[`). */
  get notArray(): boolean {
    return this.state === State.NotArray;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  private stopped = false;
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds the next chunk; returns false when scanning stopped (not an array, or the callback said so). */
  feed(buf: Buffer): boolean {
    if (this.stopped || this.state === State.NotArray) return false;
    let i = 0;
    const n = buf.length;
    if (this.leading && n > 0) {
      // A UTF-8 byte-order mark, which some editors add when a person re-saves a file.
      if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
      this.leading = false;
    }
    while (i < n) {
      switch (this.state) {
        case State.Start: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return true;
          if (buf[i] !== OPEN_BRACKET) {
            this.state = State.NotArray;
            return false;
          }
          this.state = State.First;
          i++;
          break;
        }
        case State.First:
        case State.Before: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return true;
          const c = buf[i]!;
          if (c === CLOSE_BRACKET && this.state === State.First) {
            this.state = State.Done;
            i++;
            break;
          }
          if (c !== OPEN_BRACE) {
            throw new JsonShapeError(`entry ${this.count + 1} is not an object`);
          }
          this.state = State.In;
          this.depth = 0;
          this.inString = false;
          this.escape = false;
          i = this.scanValue(buf, i);
          if (this.stopped) return false;
          break;
        }
        case State.In: {
          i = this.scanValue(buf, i);
          if (this.stopped) return false;
          break;
        }
        case State.After: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return true;
          const c = buf[i]!;
          if (c === COMMA) this.state = State.Before;
          else if (c === CLOSE_BRACKET) this.state = State.Done;
          else throw new JsonShapeError(`unexpected "${String.fromCharCode(c)}" after entry ${this.count}`);
          i++;
          break;
        }
        case State.Done: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return true;
          throw new JsonShapeError("unexpected content after the end of the array");
        }
        default:
          return false;
      }
    }
    return true;
  }

  /** Scans an element from `start`; returns where scanning stopped. */
  private scanValue(buf: Buffer, start: number): number {
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    let i = start;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          this.emit(buf, start, i + 1);
          this.state = State.After;
          return i + 1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    this.pieces.push(buf.subarray(start));
    this.pieceBytes += n - start;
    if (this.pieceBytes > this.maxElementBytes) {
      throw new JsonShapeError(`entry ${this.count + 1} is larger than ${this.maxElementBytes} bytes`);
    }
    return n;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    let textValue: string;
    if (this.pieces.length > 0) {
      this.pieces.push(buf.subarray(start, end));
      textValue = Buffer.concat(this.pieces).toString("utf8");
      this.pieces = [];
      this.pieceBytes = 0;
    } else {
      if (end - start > this.maxElementBytes) {
        throw new JsonShapeError(`entry ${this.count + 1} is larger than ${this.maxElementBytes} bytes`);
      }
      textValue = buf.toString("utf8", start, end);
    }
    let value: unknown;
    try {
      value = JSON.parse(textValue);
    } catch {
      throw new JsonShapeError(`entry ${this.count + 1} is not valid JSON`);
    }
    const index = this.count++;
    if (this.onElement(value, index) === false) this.stopped = true;
  }

  /**
   * Call at the end of input. Throws when the array never closed (a truncated file). Returns
   * "empty" for no content at all, "not-array" or "array".
   */
  end(): "empty" | "not-array" | "array" {
    if (this.stopped) return "array";
    if (this.state === State.NotArray) return "not-array";
    if (this.state === State.Start) return "empty";
    if (this.state !== State.Done) {
      throw new JsonShapeError(`the file ends before its array does (after ${this.count} entries): it looks truncated`);
    }
    return "array";
  }
}
