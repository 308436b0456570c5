import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { ImportInputError } from "./errors";
import { openZip, type OpenZip, type ZipLimits } from "./zip-reader";

/**
 * An uploaded file as a list of members: the files of a zip, or the one JSON file uploaded alone.
 * Told apart by their first bytes, whatever the upload was called.
 */
export async function openUploadFile(
  path: string,
  displayName: string,
  limits: ZipLimits,
): Promise<OpenZip & { kind: "zip" | "json" }> {
  const { size } = await stat(path);
  if (size === 0) throw new ImportInputError(`${displayName} is empty.`);
  const head = Buffer.alloc(4);
  const fh = await open(path, "r");
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5 || head[2] === 7)) {
    return { ...(await openZip(path, displayName, limits)), kind: "zip" };
  }
  return {
    kind: "json",
    members: [
      {
        name: displayName,
        size,
        encrypted: false,
        open: async () => createReadStream(path, { highWaterMark: 256 * 1024 }),
      },
    ],
    close: () => undefined,
  };
}
