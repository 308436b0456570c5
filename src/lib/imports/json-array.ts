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
  /** Parts of an element that began in an earlier chunk. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private leading = true;
  /** Elements found so far (for messages). */
  private found = 0;
  /** Elements handed to the callback so far. */
  count = 0;
  private stopped = false;
  /** Offsets [start, end, start, end, …] of the elements complete within the current chunk. */
  private bounds: number[] = [];
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

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds the next chunk; returns false when scanning stopped (not an array, or the callback said so). */
  feed(buf: Buffer): boolean {
    if (this.stopped || this.state === State.NotArray) return false;
    let failure: unknown;
    try {
      this.scan(buf);
    } catch (err) {
      failure = err;
    }
    // Elements found before an error are still delivered, so counts stay right; and a caller that
    // stopped at one of them does not care what came after.
    if (this.bounds.length > 0 && !this.stopped) this.emitBatch(buf);
    this.bounds.length = 0;
    if (failure !== undefined && !this.stopped) throw failure;
    return !this.stopped && (this.state as State) !== State.NotArray;
  }

  private scan(buf: Buffer): void {
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
          if (i === n) return;
          if (buf[i] !== OPEN_BRACKET) {
            this.state = State.NotArray;
            return;
          }
          this.state = State.First;
          i++;
          break;
        }
        case State.First:
        case State.Before: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return;
          const c = buf[i]!;
          if (c === CLOSE_BRACKET && this.state === State.First) {
            this.state = State.Done;
            i++;
            break;
          }
          if (c !== OPEN_BRACE) throw new JsonShapeError(`entry ${this.found + 1} is not an object`);
          this.state = State.In;
          this.depth = 0;
          this.inString = false;
          this.escape = false;
          i = this.scanValue(buf, i, i);
          break;
        }
        case State.In: {
          i = this.scanValue(buf, i, -1);
          if (this.stopped) return;
          break;
        }
        case State.After: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return;
          const c = buf[i]!;
          if (c === COMMA) this.state = State.Before;
          else if (c === CLOSE_BRACKET) this.state = State.Done;
          else throw new JsonShapeError(`unexpected "${String.fromCharCode(c)}" after entry ${this.found}`);
          i++;
          break;
        }
        case State.Done: {
          while (i < n && WS[buf[i]!]) i++;
          if (i === n) return;
          throw new JsonShapeError("unexpected content after the end of the array");
        }
        default:
          return;
      }
    }
  }

  /**
   * Scans an element from `from`; `start` is where it began in this chunk, or -1 when it began in
   * an earlier one. Strings are skipped with indexOf, which is where most bytes are.
   */
  private scanValue(buf: Buffer, from: number, start: number): number {
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    let i = from;
    while (i < n) {
      if (inString) {
        if (escape) {
          escape = false;
          i++;
          continue;
        }
        const q = buf.indexOf(QUOTE, i);
        const stop = q === -1 ? n : q;
        let k = stop - 1;
        while (k >= i && buf[k] === BACKSLASH) k--;
        const odd = (stop - 1 - k) % 2 === 1;
        if (q === -1) {
          escape = odd;
          i = n;
          break;
        }
        if (!odd) inString = false;
        i = q + 1;
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          if (start >= 0 && i + 1 - start > this.maxElementBytes) this.tooLarge();
          this.found++;
          this.state = State.After;
          if (start >= 0) {
            this.bounds.push(start, i + 1);
          } else {
            this.pieces.push(buf.subarray(0, i + 1));
            const text = Buffer.concat(this.pieces).toString("utf8");
            this.pieces = [];
            this.pieceBytes = 0;
            this.deliver(parseOne(text, this.found));
          }
          return i + 1;
        }
      }
      i++;
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    const from0 = start >= 0 ? start : 0;
    this.pieces.push(buf.subarray(from0));
    this.pieceBytes += n - from0;
    if (this.pieceBytes > this.maxElementBytes) this.tooLarge();
    return n;
  }

  private tooLarge(): never {
    throw new JsonShapeError(`entry ${this.found + 1} is larger than ${this.maxElementBytes} bytes`);
  }

  private deliver(value: unknown): void {
    if (this.stopped) return;
    const index = this.count++;
    if (this.onElement(value, index) === false) this.stopped = true;
  }

  /** One JSON.parse for every element complete in the chunk: far cheaper than one call each. */
  private emitBatch(buf: Buffer): void {
    const b = this.bounds;
    let values: unknown[];
    try {
      values = JSON.parse(`[${buf.toString("utf8", b[0]!, b[b.length - 1]!)}]`) as unknown[];
    } catch {
      // Find which one is broken, for the message.
      const first = this.count + 1;
      values = [];
      for (let j = 0; j < b.length; j += 2) values.push(parseOne(buf.toString("utf8", b[j]!, b[j + 1]!), first + j / 2));
    }
    for (const v of values) {
      this.deliver(v);
      if (this.stopped) return;
    }
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
      throw new JsonShapeError(`the file ends before its array does (after ${this.found} entries): it looks truncated`);
    }
    return "array";
  }
}

function parseOne(text: string, entryNumber: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonShapeError(`entry ${entryNumber} is not valid JSON`);
  }
}
