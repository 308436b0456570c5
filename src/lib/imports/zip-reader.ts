import { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { ImportInputError } from "./errors";

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export interface ZipMember {
  name: string;
  /** Uncompressed size as the zip declares it; yauzl refuses to inflate past it. */
  size: number;
  /** Encrypted members cannot be read; they are listed as ignored. */
  encrypted: boolean;
  open(): Promise<Readable>;
}

export interface OpenZip {
  members: ZipMember[];
  close(): void;
}

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/** The methods real zips use: 0 stored (what `zip -r` does with files deflate cannot shrink), 8 deflate. */
const STORED = 0;
const DEFLATE = 8;

/** Names of the other methods of the zip specification (APPNOTE 4.4.5), for messages. */
const METHOD_NAMES: Record<number, string> = {
  1: "Shrink",
  2: "Reduce",
  3: "Reduce",
  4: "Reduce",
  5: "Reduce",
  6: "Implode",
  9: "Deflate64",
  10: "PKWARE DCL Implode",
  12: "BZIP2",
  14: "LZMA",
  18: "IBM TERSE",
  19: "IBM LZ77",
  93: "Zstandard",
  94: "MP3",
  95: "XZ",
  96: "JPEG",
  97: "WavPack",
  98: "PPMd",
};

/**
 * What went wrong with a zip, in words a person can act on: yauzl's and zlib's messages name
 * signatures and offsets (`invalid central directory file header signature: 0xdc219b85`) that
 * mean nothing to the person holding the file.
 */
export function zipProblem(message: string): string {
  if (/end of central directory record signature not found/i.test(message))
    return "its end is missing — it is not a zip, or the download was cut short (truncated)";
  if (/central directory|zip64|comment length|relative offset|extra field/i.test(message)) return "its table of contents is damaged";
  if (/local file header/i.test(message)) return "a file inside it is damaged";
  if (/encryption/i.test(message)) return "it is encrypted with a password";
  if (/invalid (distance|code|block|stored)|incorrect header|unexpected end of file|too many length/i.test(message))
    return "its compressed data is damaged";
  return message.replace(/:?\s*0x[0-9a-f]+/gi, "").trim();
}

function unsupportedMethod(where: string, method: number): ImportInputError {
  const label = METHOD_NAMES[method];
  return new ImportInputError(
    `${where} uses compression method ${method}${label ? ` (${label})` : ""}, which Liner cannot read; re-zip it with ordinary deflate.`,
  );
}

/**
 * Opens a zip and lists its files after checking them against the limits, before anything is
 * inflated: a zip bomb is refused from its central directory alone. Sizes the directory declares
 * are then enforced while reading (validateEntrySizes), so a zip that lies about them fails too.
 */
export async function openZip(path: string, displayName: string, limits: ZipLimits): Promise<OpenZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  ).catch((err: Error) => {
    throw new ImportInputError(
      `${displayName} is not a complete zip file: ${zipProblem(err.message)}. Download the export again and upload the new copy.`,
    );
  });
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ImportInputError(
        `${displayName} holds ${zip.entryCount} files, more than the ${limits.maxEntries} an export can have; it was not imported.`,
      );
    }
    const members: ZipMember[] = [];
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on("error", (err: Error) =>
        reject(new ImportInputError(`${displayName} is damaged: ${zipProblem(err.message)}. Download the export again and upload the new copy.`)),
      );
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (!name.endsWith("/")) {
          if (entry.uncompressedSize > limits.maxEntryBytes) {
            return reject(
              new ImportInputError(
                `${name} in ${displayName} unpacks to ${mib(entry.uncompressedSize)}, more than the ${mib(limits.maxEntryBytes)} allowed for one file.`,
              ),
            );
          }
          // Refused from the directory, before anything is read: every file may be history.
          if (!entry.isEncrypted() && entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATE) {
            return reject(unsupportedMethod(`${name} in ${displayName}`, entry.compressionMethod));
          }
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes) {
            return reject(
              new ImportInputError(`${displayName} unpacks to more than the ${mib(limits.maxTotalBytes)} allowed for one upload.`),
            );
          }
          members.push({
              name,
              size: entry.uncompressedSize,
              encrypted: entry.isEncrypted(),
              open: () => openMember(zip, entry, `${name} in ${displayName}`),
          });
        }
        zip.readEntry();
      });
      zip.readEntry();
    });
    return { members, close: () => zip.close() };
  } catch (err) {
    zip.close();
    throw err;
  }
}

/**
 * A member's content. yauzl hands over the raw bytes (decodeFileData: false, which works for
 * stored and deflated members alike); deflated ones are inflated here rather than by yauzl so
 * that the chunks are large (zlib's default 16 KB makes inflating several times slower). That
 * means enforcing the declared size here too, for stored members as for deflated ones: more or
 * fewer bytes than the directory said is a damaged or malicious zip.
 */
async function openMember(zip: yauzl.ZipFile, entry: yauzl.Entry, where: string): Promise<Readable> {
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATE) throw unsupportedMethod(where, entry.compressionMethod);
  const raw = await new Promise<Readable>((res, rej) =>
    zip.openReadStream(entry, { decodeFileData: false }, (err, stream) =>
      err ? rej(new ImportInputError(`${where} cannot be read: ${zipProblem(err.message)}. Download the export again.`)) : res(stream),
    ),
  );
  const expected = entry.uncompressedSize;
  let seen = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > expected) cb(new Error(`it unpacks to more than the ${expected} bytes the zip declares`));
      else cb(null, chunk);
    },
    flush(cb) {
      cb(seen < expected ? new Error(`it ends after ${seen} of ${expected} bytes`) : null);
    },
  });
  const inflate = entry.compressionMethod === DEFLATE ? zlib.createInflateRaw({ chunkSize: 256 * 1024 }) : undefined;
  const stages: (Readable | Transform)[] = inflate ? [raw, inflate, check] : [raw, check];
  for (let i = 0; i < stages.length - 1; i++) {
    stages[i]!.on("error", (err: Error) => check.destroy(err));
    stages[i]!.pipe(stages[i + 1] as Transform);
  }
  check.on("close", () => {
    for (const s of stages) s.destroy();
  });
  return check;
}
