/**
 * How the simulator's search compares words: case, diacritics and punctuation do not matter
 * ("Beyonce" finds "Beyoncé"), scripts other than Latin are kept as they are.
 */
export function foldText(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export function words(s: string): string[] {
  const f = foldText(s);
  return f ? f.split(" ") : [];
}
