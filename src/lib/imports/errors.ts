/**
 * A problem with what the person uploaded (not with Liner): the upload fails with this message,
 * which names the file and says what is wrong in words a person understands.
 */
export class ImportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportInputError";
  }
}
