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
    throw new ImportInputError(`${displayName} is not a complete zip file (${err.message}); it may be truncated or damaged — download it again.`);
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
        reject(new ImportInputError(`${displayName} is damaged (${err.message}); download it again.`)),
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
 * A member's content. Inflated here rather than by yauzl so that the chunks are large (zlib's
 * default 16 KB makes inflating several times slower), which means enforcing the declared size
 * here too: more bytes than the directory said is a damaged or malicious zip.
 */
async function openMember(zip: yauzl.ZipFile, entry: yauzl.Entry, where: string): Promise<Readable> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new ImportInputError(`${where} uses a compression method Liner cannot read (${entry.compressionMethod}).`);
  }
  const raw = await new Promise<Readable>((res, rej) =>
    zip.openReadStream(entry, { decompress: false }, (err, stream) =>
      err ? rej(new ImportInputError(`${where} cannot be read (${err.message}).`)) : res(stream),
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
  const inflate = entry.compressionMethod === 8 ? zlib.createInflateRaw({ chunkSize: 256 * 1024 }) : undefined;
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
